"""The class report: score distribution and the steps most often failed."""

from __future__ import annotations

import html
from pathlib import Path

from coursetools import plugins
from coursetools.feedback import figure_png
from coursetools.nbgrader_cli import StepScore, total


def write_class_report(path: Path, assignment: str, scores: dict[str, list[StepScore]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    totals = [total(steps)[0] for steps in scores.values()]
    max_total = max((sum(s.max_score for s in steps) for steps in scores.values()), default=0)
    step_ids = [s.label for s in next(iter(scores.values()), [])]
    by_hand = sum(1 for steps in scores.values() if total(steps)[2])
    failed = {
        g: sum(
            1
            for steps in scores.values()
            for s in steps
            if s.label == g and s.score is not None and s.score < s.max_score
        )
        for g in step_ids
    }

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(totals, bins=range(0, int(max_total) + 2), align="left", rwidth=0.8, color="#4c72b0")
    ax.set_xlabel(f"score (out of {max_total:g})")
    ax.set_ylabel("students")
    ax.set_title(f"{assignment}: score distribution ({len(totals)} students)")
    fig.tight_layout()
    distribution = figure_png(fig)

    order = sorted(step_ids, key=lambda g: -failed[g])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    titles = plugins.step_titles(assignment)
    ax.barh([str(titles.get(g, g)) for g in order][::-1], [failed[g] for g in order][::-1], color="#c44e52")
    ax.set_xlabel("students who lost points")
    ax.set_title("Steps most often failed")
    fig.tight_layout()
    failures = figure_png(fig)

    rows = "".join(
        f"<tr><td>{html.escape(student)}</td><td>{total(steps)[0]:g}"
        f"{' + needs manual grade' if total(steps)[2] else ''}</td></tr>"
        for student, steps in sorted(scores.items())
    )
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{assignment} class report</title></head><body>"
        f"<h1>{assignment}: class report</h1>"
        f"<p>{len(totals)} students, mean {sum(totals) / max(len(totals), 1):.1f} / {max_total:g}"
        f"{f' ({by_hand} with answers still to be graded by hand, counted as 0 so far)' if by_hand else ''}</p>"
        f"<img alt='Score distribution' src='data:image/png;base64,{distribution}'/>"
        f"<img alt='Steps most often failed' src='data:image/png;base64,{failures}'/>"
        f"<table><tr><th>student</th><th>score</th></tr>{rows}</table></body></html>"
    )
    return path
