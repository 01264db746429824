"""One source, two languages: every text students read has an up-to-date translation, a changed
English text shows its translation is stale, translations change no code, the glossary's terms are
used, and the committed translated releases are the English release translated."""

import shutil

import nbformat
import pytest

import course_config
from coursetools.course import language as language_module
from coursetools.course import translations
from coursetools.workflow import leak_checks

pytestmark = pytest.mark.unit
ROOT = course_config.COURSE_ROOT
TRANSLATED = [
    (a, lang) for a in sorted(course_config.ASSIGNMENTS) for lang in translations.translated_languages(ROOT, a)
]


def test_every_assignment_is_translated_into_every_course_language():
    assert translations.languages() == ["zh-CN"]
    for assignment in course_config.ASSIGNMENTS:
        assert translations.translated_languages(ROOT, assignment) == ["zh-CN"], assignment


@pytest.mark.parametrize(("assignment", "language"), TRANSLATED)
def test_every_text_students_read_has_an_up_to_date_translation(assignment, language):
    """Fails when a markdown cell or a given code cell's comments changed in source/ (or are new)
    since they were translated: run `./course translations` and translate what it marks."""
    assert translations.problems(ROOT, assignment, language) == []


@pytest.mark.parametrize(("assignment", "language"), TRANSLATED)
def test_translations_use_the_glossary(assignment, language):
    assert translations.glossary_problems(ROOT, assignment, language) == []


def test_the_machine_translations_mistakes_are_not_in_the_course():
    """The seed's Chinese text is machine-made: PyTorch as 指针, Caffe2 as 咖啡 2, weight tensors as 重量张量."""
    for assignment, language in TRANSLATED:
        text = translations.catalogue_path(ROOT, assignment, language).read_text()
        for wrong in ("指针", "咖啡", "重量", "精度"):
            assert wrong not in text, (assignment, wrong)


def copy_of_source(tmp_path, assignment):
    root = tmp_path / "course"
    shutil.copytree(ROOT / "source" / assignment, root / "source" / assignment)
    return root


def edit_cell(root, assignment, cell_id, edit):
    name = course_config.ASSIGNMENTS[assignment]["notebooks"][0]
    path = root / "source" / assignment / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.id == cell_id)
    cell.source = edit(cell.source)
    nbformat.write(nb, path)
    return f"{name}:{cell_id}"


def test_an_edited_english_text_makes_its_translation_stale(tmp_path):
    root = copy_of_source(tmp_path, "ps1")
    label = edit_cell(root, "ps1", "step4-md", lambda s: s.replace("divide every image by 255.0", "divide by 255"))
    assert translations.problems(root, "ps1", "zh-CN") == [
        f"source/ps1/translations/zh-CN.po: cell {label}: the translation was made from an older English text"
    ]
    # Babel's update keeps the old translation, fuzzy, with the English it was made from: still stale
    translations.update(root, "ps1", "zh-CN")
    assert translations.problems(root, "ps1", "zh-CN") == [
        f"source/ps1/translations/zh-CN.po: cell {label}: the translation was made from an older English text (fuzzy)"
    ]
    text = translations.catalogue_path(root, "ps1", "zh-CN").read_text()
    assert "#, fuzzy" in text and "#| msgid" in text  # the English it was made from, for the translator


def test_a_new_text_has_no_translation(tmp_path):
    root = copy_of_source(tmp_path, "ps1")
    name = course_config.ASSIGNMENTS["ps1"]["notebooks"][0]
    path = root / "source" / "ps1" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new hint.", id="new-hint"))
    nbformat.write(nb, path)
    assert translations.problems(root, "ps1", "zh-CN") == [
        f"source/ps1/translations/zh-CN.po: cell {name}:new-hint: no translation"
    ]


def test_a_translation_that_changes_code_is_refused():
    assert translations.code_difference("EPOCHS = 5  # passes", "EPOCHS = 5  # 轮数") is None
    assert translations.code_difference("EPOCHS = 5  # passes", "EPOCHS = 6  # 轮数") is not None
    assert translations.code_difference("x = 1  # a", "x = 1\nimport os  # a") is not None


@pytest.mark.parametrize(("assignment", "language"), TRANSLATED)
def test_the_translated_release_differs_only_in_text_students_read(assignment, language):
    """Same cells, grade ids, tests, solutions stubs and points; markdown and comments translated."""
    for name in course_config.ASSIGNMENTS[assignment]["notebooks"]:
        english = nbformat.read(ROOT / "release" / assignment / f"{name}.ipynb", as_version=4)
        folder = ROOT / "release" / translations.release_id(assignment, language)
        translated = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        assert translated.metadata[language_module.METADATA_KEY] == language
        assert language_module.notebook_language(english) == language_module.ENGLISH
        assert len(english.cells) == len(translated.cells)
        for en, zh in zip(english.cells, translated.cells, strict=True):
            assert (en.id, en.cell_type) == (zh.id, zh.cell_type)
            grading = {k: v for k, v in en.metadata.get("nbgrader", {}).items() if k != "checksum"}
            assert grading == {k: v for k, v in zh.metadata.get("nbgrader", {}).items() if k != "checksum"}
            if translations.translatable(en):
                assert zh.source != en.source, f"cell {en.id} is not translated"
                if en.cell_type == "code":
                    assert translations.code_difference(en.source, zh.source) is None
            else:
                assert zh.source == en.source, f"cell {en.id} (tests, solutions) must not change"


@pytest.mark.parametrize(("assignment", "language"), TRANSLATED)
def test_committed_translated_release_is_the_english_release_translated(tmp_path, assignment, language):
    """The freshness check for the translated folders, without nbgrader: the committed English
    release (checked fresh by tests/functional/test_release_and_validate.py) translated again."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copytree(ROOT / "release" / assignment, root / "release" / assignment)
    translations.write_releases(root, assignment)
    folder = translations.release_id(assignment, language)
    assert leak_checks.stale_release_files(root / "release" / folder, ROOT / "release" / folder) == [], (
        "run `./course release`"
    )
    for name in course_config.ASSIGNMENTS[assignment]["notebooks"]:
        source = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4)
        release = nbformat.read(ROOT / "release" / folder / f"{name}.ipynb", as_version=4)
        assert leak_checks.find_leaks(source, release) == []


def test_a_translated_locked_cell_passes_nbgraders_checksum():
    """Validate (the student's button) and autograde compare locked cells with their checksum."""
    from nbgrader import utils

    release = nbformat.read(ROOT / "release" / "ps1-zh-CN" / "fashion_mnist.ipynb", as_version=4)
    locked = [c for c in release.cells if utils.is_locked(c) and translations.translatable(c)]
    assert locked, "ps1's settings cell has translated comments"
    for cell in locked:
        assert cell.metadata.nbgrader["checksum"] == utils.compute_checksum(cell)


def test_release_ids():
    assert translations.release_id("ps1", "zh-CN") == "ps1-zh-CN"
    assert translations.release_id("ps1", translations.ENGLISH) == "ps1"
