import nbformat
import pytest

import course_config
from coursetools import release, samples

pytestmark = pytest.mark.unit
EXAMPLES = course_config.COURSE_ROOT / "examples" / "submitted"


def test_bundled_sample_class_is_what_the_builder_makes():
    built = samples.build_sample_class("ps1")
    on_disk = sorted(p.name for p in EXAMPLES.iterdir())
    assert on_disk == sorted(built), "run `./course samples`"
    for student, nbs in built.items():
        for name, nb in nbs.items():
            committed = nbformat.read(EXAMPLES / student / "ps1" / f"{name}.ipynb", as_version=4)
            assert release.comparable(committed) == release.comparable(nb), f"{student}: run `./course samples`"


def test_reference_answers_have_no_markers():
    source = nbformat.read(course_config.COURSE_ROOT / "source/ps1/fashion_mnist.ipynb", as_version=4)
    for code in samples.solution_code(source).values():
        assert "BEGIN SOLUTION" not in code and "END SOLUTION" not in code
