import nbformat
import pytest

import course_config
from coursetools.workflow import leak_checks, samples

pytestmark = pytest.mark.unit
EXAMPLES = course_config.COURSE_ROOT / "examples" / "submitted"


@pytest.mark.parametrize("assignment", sorted(course_config.ASSIGNMENTS))
def test_bundled_sample_class_is_what_the_builder_makes(assignment):
    built = samples.build_sample_class(assignment)
    on_disk = sorted(p.name for p in EXAMPLES.iterdir() if (p / assignment).is_dir())
    assert on_disk == sorted(built), "run `./course samples`"
    for student, nbs in built.items():
        for name, nb in nbs.items():
            committed = nbformat.read(EXAMPLES / student / assignment / f"{name}.ipynb", as_version=4)
            assert leak_checks.comparable(committed) == leak_checks.comparable(nb), f"{student}: run `./course samples`"


def test_reference_answers_have_no_markers():
    for assignment in course_config.ASSIGNMENTS:
        for path in (course_config.COURSE_ROOT / "source" / assignment).glob("*.ipynb"):
            for code in samples.solution_code(nbformat.read(path, as_version=4)).values():
                assert "BEGIN SOLUTION" not in code and "END SOLUTION" not in code
