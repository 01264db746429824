"""Feedback students receive shows why a test failed, never the hidden test code.

Stock nbgrader copies hidden tests into the feedback HTML verbatim (nbgrader
#917, #1363), both as cell source and inside tracebacks, which quote the
failing line. Here hidden regions are cut from the source and a failed test
shows only its error name and message, which the tests write in plain words.
"""

import base64
import html
import io

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class HideHiddenTests(ClearHiddenTests):
    enforce_metadata = False

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [self._plain(output) for output in cell.outputs]
        return cell, resources

    @staticmethod
    def _plain(output):
        if output.output_type != "error":
            return output
        message = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
        return new_output("error", ename=output.ename, evalue=output.evalue, traceback=[message])


class FeedbackSummary(Preprocessor):
    """Put a summary at the top of the feedback: score per step with the reason
    for each lost point, and pictures of what the student's model does."""

    enabled = True

    def preprocess(self, nb, resources):
        rows, total, max_total = [], 0.0, 0.0
        for cell in nb.cells:
            if not (utils.is_grade(cell) and not utils.is_solution(cell)):
                continue
            score, max_score = utils.determine_grade(cell)
            total, max_total = total + (score or 0), max_total + max_score
            reason = "passed" if score == max_score else _reason(cell)
            step = STEP_TITLES.get(cell.metadata["nbgrader"]["grade_id"], cell.metadata["nbgrader"]["grade_id"])
            rows.append(f"| {step} | {score:g} / {max_score:g} | {html.escape(reason)} |")
        meta = nb.metadata.get("coursetools", {})
        parts = [f"# Your result: {total:g} / {max_total:g}", ""]
        if meta.get("fault"):
            parts += [f"**Grading stopped early:** {html.escape(meta['fault'])}.", ""]
        parts += ["| step | points | what the grader found |", "|---|---|---|", *rows, ""]
        parts += [
            f'<img alt="{alt}" src="data:image/png;base64,{png}"/>' for alt, png in pictures(meta.get("insights", {}))
        ]
        nb.cells.insert(0, new_markdown_cell("\n".join(parts)))
        return nb, resources


STEP_TITLES = {
    "test-imports": "1. Imports",
    "test-load-data": "2. Load the data",
    "test-class-names": "3. Look at the pictures",
    "test-normalize": "4. Scale the pixels",
    "test-one-hot": "5. One-hot labels",
    "test-build-model": "6. Build the model",
    "test-compile-model": "7. Compile",
    "test-train-model": "8. Train",
    "test-evaluate-model": "9. Test accuracy",
}


def _reason(cell) -> str:
    for output in cell.outputs:
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}" if output.evalue else output.ename
        if output.output_type == "stream" and output.name == "stderr":
            return "the check wrote an error message: " + output.text[:200]
    return "failed"


def pictures(insights: dict) -> list[tuple[str, str]]:
    """(alt text, base64 PNG) for each picture the insights allow."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from coursetools.data import CLASS_NAMES

    made = []
    predictions = insights.get("sample_predictions")
    if isinstance(predictions, list) and predictions:
        import keras

        (_, _), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
        fig, axes = plt.subplots(3, 8, figsize=(12, 5.4))
        for i, ax in enumerate(axes.flat[: len(predictions)]):
            guess, truth = int(predictions[i]) % 10, int(test_y[i])
            ax.imshow(test_x[i], cmap="gray")
            ax.set_title(
                f"{CLASS_NAMES[guess]}" + ("" if guess == truth else f"\n(is {CLASS_NAMES[truth]})"),
                fontsize=8,
                color="black" if guess == truth else "red",
            )
            ax.axis("off")
        fig.suptitle("Your model on the first test images (wrong answers in red)")
        made.append(("Predictions of your model on test images", figure_png(fig)))
    confusion = insights.get("confusion")
    if isinstance(confusion, list) and len(confusion) == 10:
        import numpy as np

        matrix = np.array(confusion, dtype=float)
        fig, ax = plt.subplots(figsize=(7, 6))
        ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(10), CLASS_NAMES, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(10), CLASS_NAMES, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true class")
        for r in range(10):
            for c in range(10):
                ax.text(
                    c,
                    r,
                    f"{int(matrix[r, c])}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if matrix[r, c] > matrix.max() / 2 else "black",
                )
        ax.set_title("Confusion matrix on the 10,000 test images")
        fig.tight_layout()
        made.append(("Confusion matrix", figure_png(fig)))
    history = insights.get("history")
    if isinstance(history, dict) and history.get("accuracy"):
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for key in ("accuracy", "loss"):
            values = [float(v) for v in history.get(key, [])]
            ax.plot(range(1, len(values) + 1), values, marker="o", label=f"training {key}")
        ax.set_xlabel("epoch")
        ax.legend()
        ax.set_title("Training curve")
        fig.tight_layout()
        made.append(("Training curve", figure_png(fig)))
    return made


def figure_png(fig) -> str:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()
