import pytest
from nbformat.v4 import new_code_cell, new_output

from coursetools.preprocessors.earlier_failures import EarlierFailures

pytestmark = pytest.mark.unit


def failed(source, ename, evalue, grade_id=None):
    cell = new_code_cell(source, metadata={"nbgrader": {"grade_id": grade_id}} if grade_id else {})
    cell.outputs = [new_output("error", ename=ename, evalue=evalue, traceback=[])]
    return cell


def check(source, evalue, ename="NameError"):
    return failed(source, ename, evalue)


def test_a_missing_name_is_traced_to_the_failed_cell_that_defines_it():
    failures = EarlierFailures()
    failures.record(
        failed(
            "import pandas as pd\nhistory = model.fit(x, y)",
            "ModuleNotFoundError",
            "No module named 'foo'",
            "train-model",
        ),
        7,
    )
    failures.record(failed("plt.show(", "SyntaxError", "bad"), 9)
    test = check("assert 'accuracy' in history.history", "name 'history' is not defined")
    failures.explain(test)
    assert test.outputs[0].evalue == (
        "name 'history' is not defined (an earlier cell failed, which may be why: your cell 'train-model' "
        "raised ModuleNotFoundError: No module named 'foo')"
    )


def test_a_check_that_fails_on_its_own_gets_no_note():
    failures = EarlierFailures()
    failures.record(failed("plot = draw()", "NameError", "name 'draw' is not defined"), 3)
    test = check("assert train_x.max() <= 1", "train_x should be scaled", ename="AssertionError")
    failures.explain(test)
    assert test.outputs[0].evalue == "train_x should be scaled"


def test_no_failed_cells_no_note():
    test = check("assert x", "name 'x' is not defined")
    EarlierFailures().explain(test)
    assert test.outputs[0].evalue == "name 'x' is not defined"
