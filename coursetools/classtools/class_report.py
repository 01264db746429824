"""What the instructor exports: per-step CSV, course totals, and the class report
(score distribution and the steps most often failed). Every number comes from scores.py."""

from __future__ import annotations

import csv
import html
import textwrap
from pathlib import Path

import course_config
from coursetools.course import plugins
from coursetools.course.plugin_pictures import figure_png
from coursetools.workflow.scores import StepScore, step_scores, total
from coursetools.workflow.submissions import students_in


def write_class_report(path: Path, assignment: str, scores: dict[str, list[StepScore]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    totals = [total(steps)[0] for steps in scores.values()]
    max_total = max((sum(s.max_score for s in steps) for steps in scores.values()), default=0)
    first = next(iter(scores.values()), [])
    step_ids = [s.label for s in first]
    titles = {s.label: plugins.step_title(assignment, s.grade_id, s.notebook) for s in first}
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

    # constrained layout makes room for long step titles, where tight_layout gives up with a warning
    fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    ax.hist(totals, bins=range(0, int(max_total) + 2), align="left", rwidth=0.8, color="#4c72b0")
    ax.set_xlabel(f"score (out of {max_total:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of students, never fractions
    ax.set_title(f"{assignment}: score distribution ({len(totals)} students)")
    distribution = figure_png(fig)

    order = sorted(step_ids, key=lambda g: -failed[g])
    # long step titles wrapped, the figure as tall as their lines: constrained layout then fits them
    labels = [textwrap.fill(str(titles[g]), 40) for g in order]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig, ax = plt.subplots(figsize=(8, 1 + 0.3 * max(lines, 4)), layout="constrained")
    ax.barh(labels[::-1], [failed[g] for g in order][::-1], color="#c44e52")
    ax.set_xlabel("students who lost points")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Steps most often failed")
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
        f"<table><tr><th>student</th><th>score</th></tr>{rows}</table>"
        # the similarity report sits next to this one in reports/ once `similarity` has run
        f"<p>Submissions alike: <a href='{html.escape(assignment)}-similarity.html'>similarity report</a> "
        f"(written by <code>./course similarity --assignment {html.escape(assignment)}</code>; "
        "it flags pairs for a person to look at, never a verdict).</p></body></html>"
    )
    return path


def write_steps_csv(path: Path, rows: dict[str, list[StepScore]]) -> Path:
    """One row per student, one column per graded cell ("needs manual grade" until graded)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        header = [step.label for step in next(iter(rows.values()), [])]
        writer.writerow(["student_id", *header, "total", "max_total", "needs_manual_grade"])
        for student, steps in rows.items():
            earned, max_total, by_hand = total(steps)
            shown = ("needs manual grade" if s.score is None else f"{s.score:g}" for s in steps)
            writer.writerow([student, *shown, f"{earned:g}", f"{max_total:g}", f"{by_hand:g}"])
    return path


def write_course_totals(path: Path, root: Path) -> Path:
    """One row per student, one column per assignment graded so far, and the course total."""
    graded = [a for a in course_config.ASSIGNMENTS if students_in(root / "autograded", a)]
    scores = {a: {s: total(step_scores(root, a, s)) for s in students_in(root / "autograded", a)} for a in graded}
    students = sorted({s for per in scores.values() for s in per})
    maxima = {a: max((t[1] for t in scores[a].values()), default=0) for a in graded}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", *graded, "course_total", "course_max", "needs_manual_grade"])
        for student in students:
            earned = [scores[a].get(student, (0, 0, 0)) for a in graded]
            writer.writerow(
                [
                    student,
                    *(
                        f"{e[0]:g}" if student in scores[a] else "not submitted"
                        for a, e in zip(graded, earned, strict=True)
                    ),
                    f"{sum(e[0] for e in earned):g}",
                    f"{sum(maxima.values()):g}",
                    f"{sum(e[2] for e in earned):g}",
                ]
            )
    return path
