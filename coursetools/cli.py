"""`python -m coursetools` (or `./course`): the whole workflow in one command.

Instructors:
    data        put Fashion-MNIST into the Keras cache (offline, checksummed)
    release     generate release/ from source/ (release/<id>/ in English, release/<id>-zh-CN/ in Chinese)
                and check it leaks nothing
    translations  update the notebooks' and the messages' catalogues (source/<id>/translations/) from the English
    validate    prove the assignment works: source passes, release fails, no leaks, release/ fresh
    samples     rewrite the bundled sample class in examples/submitted/
    collect     copy submissions into submitted/: from the exchange, a folder or a zip
    autograde   grade submitted/ in parallel, each student in its own sandboxed run
    feedback    write feedback/<student>/<assignment>/*.html
    export      reports/grades.csv (nbgrader's), reports/<assignment>-steps.csv, the class report;
                with --format canvas|moodle, the LMS's own grade import file filled over its roster
    similarity  reports/<assignment>-similarity.html: pairs of students whose own code is alike
    demo        all of the above on the bundled sample class
    new-assignment  source/<ID>/: a notebook with one cell of each kind, a plugin stub, its config entry
    grade       enter a grade by hand (and a comment) for a student's cell, or import a CSV of them
On a Jupyter server (nbgrader's exchange, README: "Running the course on a Jupyter server"):
    jupyter-setup     the exchange, the students' Jupyter settings, the formgrader for you
    lab               your JupyterLab in the course root, with the formgrader (options go to jupyter lab)
    publish           put release/<assignment> (and each language's, e.g. <assignment>-zh-CN) in the exchange
    collect           with no source: take the students' latest submissions from the exchange
    release-feedback  generate feedback and return it through the exchange
The host:
    doctor      what the grading sandbox enforces here, each guarantee with its reason and fix
    setup-host  as root, once: delegate the kernels' cgroups to a non-root grading account
Grading on submit (README: "Grading on submit and on many machines"):
    serve       grade each new submission in the exchange, record it, release its feedback
    worker      grade tasks from the broker (GRADING_BROKER_URL) on this machine
    queue       the submissions serve took: queued, running, done, failed, phase times
Students:
    check       run a notebook and report each visible check (non-zero exit if one fails)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import nbformat

import course_config
from coursetools.classtools import lms_export
from coursetools.classtools.class_report import write_class_report, write_course_totals, write_steps_csv
from coursetools.course import data, jupyter_server, kernelspec, scaffold, translations
from coursetools.course.assignments import STUDENT_KERNEL_TAG, notebooks
from coursetools.engine import host_check, sandbox
from coursetools.engine.kernel_limits import (
    SAMPLES_ONLY_ENV,
    memory_overcommitted,
    required_limits_refusal,
    unenforced_note,
)
from coursetools.errors import CommandError
from coursetools.student.self_check import messages_for, report_line, run_checks, summary
from coursetools.workflow import (
    exchange_collect,
    feedback_runs,
    manual_grades,
    samples,
    stale_tests,
    validate_assignment,
)
from coursetools.workflow.autograde import grade_students
from coursetools.workflow.collect_folder import collect_path
from coursetools.workflow.nbgrader_runner import nbgrader
from coursetools.workflow.safe_copy import Collection
from coursetools.workflow.scores import step_scores, total
from coursetools.workflow.submissions import gradebook_knows, students_in, submission_problems

ROOT = course_config.COURSE_ROOT
EXAMPLES = ROOT / "examples" / "submitted"


def say(message: str) -> None:
    print(message, flush=True)


# -- commands ----------------------------------------------------------------
def cmd_data(args) -> None:
    folder = data.provision()
    spec = kernelspec.install()
    say(f"Fashion-MNIST ready in {folder} (4 files, SHA-256 verified); the course kernel ({spec}) finds it.")


def cmd_release(args) -> None:
    notebooks(args.assignment)  # an unknown assignment is named before nbgrader runs
    data.provision()
    out = validate_assignment.generate(ROOT, args.assignment)
    problems = validate_assignment.leak_problems(ROOT, args.assignment, out)
    if problems:
        raise CommandError("The generated release leaks:\n  " + "\n  ".join(problems))
    folders = [f"{p.relative_to(ROOT)}/" for p in translations.release_folders(ROOT, args.assignment).values()]
    say(
        f"Generated {', '.join(folders)} from source/{args.assignment}/: no solutions, hidden tests or outputs in them."
    )
    for note in validate_assignment.untranslated_notes(ROOT, args.assignment):
        say(f"  WARNING: {note}")


def stop_if_tests_stale(assignment: str) -> None:
    if differences := stale_tests.stale_tests(ROOT, assignment):
        raise CommandError(stale_tests.stale_message(assignment, differences))


def cmd_validate(args) -> None:
    assignment = args.assignment
    data.provision()
    result = validate_assignment.validate(assignment, progress=say)
    if result.problems:
        raise CommandError(
            f"{assignment} is NOT valid:\n  "
            + "\n  ".join(result.problems)
            + "\nFix source/, then run `python -m coursetools release`."
        )
    earned, max_total, by_hand = total(result.reference)
    manual = f" ({by_hand:g} points graded by hand)" if by_hand else ""
    say(
        f"{assignment} is valid: reference {earned:g}/{max_total - by_hand:g}{manual}, unchanged release "
        f"0/{max_total - by_hand:g}, no leaks, release/ matches source/."
        + "".join(f" Its {lang} version scores the same, cell by cell." for lang in result.languages)
    )
    if unenforced_note():
        say(f"  note: graded with limits {unenforced_note()}")
    for note in result.notes:
        say(f"  note: {note}")
    for name, grade_id in result.student_kernel_tests:
        say(
            f"  note: test '{grade_id}' of {name}.ipynb is tagged {STUDENT_KERNEL_TAG}: it runs in the "
            "student's kernel, as in stock nbgrader, so it is NOT tamper-proof (a student's code can change "
            "its verdict). Keep such tests to checks that cannot run in the checker."
        )


def cmd_samples(args) -> None:
    if EXAMPLES.exists():
        shutil.rmtree(EXAMPLES)
    for assignment in course_config.ASSIGNMENTS:
        for path in samples.write_sample_class(EXAMPLES, assignment):
            say(f"wrote {path.relative_to(ROOT)}")


def cmd_collect(args) -> None:
    notebooks(args.assignment)
    if args.source is None:
        collect_from_exchange(args.assignment)
        return
    source = Path(args.source)
    if not source.exists():
        raise CommandError(f"{source} does not exist: give a folder or a .zip of submissions.")
    result = collect_path(
        source,
        ROOT,
        args.assignment,
        course_config.SUBMISSION_MAX_MB * 1_000_000,
        course_config.SUBMISSION_FILENAME_PATTERN,
    )
    if not (result.collected or result.refused):
        raise CommandError(
            f"No submissions found in {source}: expected <student>/{args.assignment}/*.ipynb "
            f"folders, or files named <student>_<notebook>.ipynb (alone or in .zip files)"
            + (
                f"; none of its {len(result.skipped)} file(s) matched SUBMISSION_FILENAME_PATTERN."
                if result.skipped
                else "."
            )
        )
    report_collection(result, f"Collected {len(result.collected)} submission(s) into submitted/")


def report_collection(result: Collection, collected: str) -> None:
    """What a collect did; exit status 1 if anything was refused (the rest is collected)."""
    if result.collected:
        say(f"{collected}: {', '.join(result.collected)}")
    if result.unchanged:
        say(f"Unchanged since they were collected: {', '.join(result.unchanged)}")
    if result.skipped:
        listed = ", ".join(result.skipped[:10]) + (
            f" and {len(result.skipped) - 10} more" if len(result.skipped) > 10 else ""
        )
        say(f"Skipped {len(result.skipped)} file(s) naming no student (SUBMISSION_FILENAME_PATTERN): {listed}")
    if result.waiting:
        say(f"Still being written by nbgrader submit, collected next time: {', '.join(result.waiting)}")
    if result.refused:
        raise CommandError(
            ("Not collected (the rest was):" if result.collected or result.unchanged else "Nothing collected:")
            + "".join(f"\n  {who}: {why}" for who, why in result.refused.items())
        )


def exchange_root() -> Path:
    root = Path(course_config.EXCHANGE_ROOT)
    if not root.is_dir():
        raise CommandError(
            f"The exchange {root} (EXCHANGE_ROOT in course_config.py) does not exist: "
            "run `./course jupyter-setup` first."
        )
    return root


def cmd_jupyter_setup(args) -> None:
    kernelspec.install()
    written = jupyter_server.setup(everyone_dir=args.everyone_config)
    say(f"Exchange: {written['exchange']} (every user may write; course id {course_config.COURSE_ID}).")
    say(
        f"Students (every Jupyter reading {written['students']}): assignment list and Validate; formgrader and "
        f"create-assignment disabled; nbgrader settings in {written['students'] / jupyter_server.STUDENT_CONFIG_FILE}."
    )
    say(f"You (the instructor): formgrader and create-assignment enabled in {written['instructor']}.")
    if translations.languages():
        say(
            "Languages: `./course publish` lists each assignment once per language in the students' Assignment "
            f"List (<id>, and {', '.join('<id>-' + lang for lang in translations.languages())}); a student "
            "fetches and submits one, graded as the one assignment <id>."
        )
    say(
        "Start your JupyterLab with `./course lab`: in the course root, with your tools, grading with the course's grader."
    )


def cmd_lab(args) -> None:
    env = jupyter_server.instructor_env(dict(os.environ))
    command = [sys.executable, "-m", "jupyter", "lab", *args.jupyter_args]
    os.chdir(ROOT)  # the formgrader grades the course it is started in
    os.execvpe(command[0], command, env)


def cmd_publish(args) -> None:
    exchange_dir = exchange_root()
    released = exchange_dir / course_config.COURSE_ID / "outbound" / args.assignment
    if released.exists() and not args.replace:
        raise CommandError(
            f"{args.assignment} is already in the exchange ({released}). To replace it, run "
            f"`./course publish --assignment {args.assignment} --replace` (students who fetched it keep their copy)."
        )
    cmd_release(args)  # publish only a fresh release that leaks nothing
    # every language's release (translations.py), each its own entry of the students' Assignments list
    for folder in translations.release_folders(ROOT, args.assignment).values():
        nbgrader(ROOT, "release_assignment", folder.name, *(["--force"] if args.replace else []))
    jupyter_server.protect_inbound(exchange_dir / course_config.COURSE_ID / "inbound")
    names = ", ".join(folder.name for folder in translations.release_folders(ROOT, args.assignment).values())
    say(
        f"Published {names} to {released.parent}: students fetch one from their Assignments list "
        f"({args.assignment} in English; the others in the language their name ends with)."
    )


def collect_from_exchange(assignment: str) -> None:
    inbound = exchange_root() / course_config.COURSE_ID / "inbound"
    result = exchange_collect.collect(
        inbound, ROOT / "submitted", assignment, course_config.SUBMISSION_MAX_MB * 1_000_000
    )
    if not (result.collected or result.unchanged or result.refused or result.waiting):
        raise CommandError(f"No submissions of {assignment} in the exchange ({inbound}) yet.")
    try:
        report_collection(
            result,
            f"Collected the latest submission of {len(result.collected)} student(s) from the exchange into submitted/",
        )
    except CommandError as error:
        raise CommandError(f"{error}\nAsk these students to submit again from their Assignments list.") from None


def cmd_release_feedback(args) -> None:
    exchange_root()
    run = write_feedback(args.assignment)  # from the gradebook as it is now, manual grades included
    if run.written:
        nbgrader(ROOT, "release_feedback", args.assignment)
        say(
            f"Released the feedback of {args.assignment} for {len(run.written)} student(s) to the exchange: "
            "they fetch it from their Assignments list."
        )
    stop_if_feedback_failed(run, "no feedback released for")


def cmd_autograde(args) -> None:
    notebooks(args.assignment)
    overcommitted = memory_overcommitted(args.workers)  # each worker's kernels may use their whole limit
    if overcommitted:
        raise CommandError(overcommitted)
    refuse_unsafe_host()
    data.provision()
    submitted = ROOT / "submitted"
    available = students_in(submitted, args.assignment)
    students = args.student or available
    unknown = sorted(set(students) - set(available))
    if unknown:
        raise CommandError(
            f"No submission of {args.assignment} for: {', '.join(unknown)} "
            f"(looked for submitted/<student>/{args.assignment}/). "
            f"Students with one: {', '.join(available) or 'none'}."
        )
    if not students:
        raise CommandError(
            f"No submissions in submitted/*/{args.assignment}/. Put them there "
            "(nbgrader's layout) or run `python -m coursetools demo`."
        )
    if not gradebook_knows(ROOT, args.assignment):
        raise CommandError(
            f"The gradebook has no tests for {args.assignment} yet: run `./course release` first "
            "(it generates release/ and records the tests in gradebook.db)."
        )
    stop_if_tests_stale(args.assignment)
    problems = {s: p for s in students if (p := submission_problems(ROOT, args.assignment, s))}
    for student, why in problems.items():
        say(f"  skipping {student}: {'; '.join(why)}")
    students = [s for s in students if s not in problems]
    nbgrader(ROOT, "db", "assignment", "add", args.assignment)  # creates the gradebook once, before workers share it
    say(f"Autograding {len(students)} submission(s) of {args.assignment} with {args.workers} worker(s) ...")
    failures = grade_students(ROOT, args.assignment, students, args.workers)
    failures.update({s: "; ".join(p) for s, p in problems.items()})
    print_scores(ROOT, args.assignment, students)
    if unenforced_note():
        say(f"\nWARNING: graded with limits {unenforced_note()}")
    if failures:
        raise CommandError(
            "Some submissions could not be graded:\n  " + "\n  ".join(f"{s}: {why}" for s, why in failures.items())
        )


def print_scores(root: Path, assignment: str, students: list[str]) -> list[list]:
    rows = []
    for student in students:
        steps = step_scores(root, assignment, student)
        if steps:
            rows.append([student, steps])
    if rows:
        width = max(len(r[0]) for r in rows)
        say(f"\n{'student'.ljust(width)}  score   per step (? = needs manual grade)")
        for student, steps in rows:
            earned, max_total, by_hand = total(steps)
            manual = f" + {by_hand:g} by hand" if by_hand else ""
            say(f"{student.ljust(width)}  {earned:>2g}/{max_total:g}  {' '.join(s.shown() for s in steps)}{manual}")
    return rows


def cmd_feedback(args) -> None:
    stop_if_feedback_failed(write_feedback(args.assignment), "no feedback for")


def write_feedback(assignment: str) -> feedback_runs.FeedbackRun:
    if not students_in(ROOT / "autograded", assignment):
        raise CommandError(
            f"No graded submissions of {assignment} yet: run `./course autograde --assignment {assignment}` first."
        )
    run = feedback_runs.generate(ROOT, assignment)
    say(f"Wrote the feedback of {len(run.written)} student(s) under feedback/<student>/{assignment}/.")
    return run


def stop_if_feedback_failed(run: feedback_runs.FeedbackRun, what: str) -> None:
    if run.failed:
        raise CommandError(
            f"Feedback could not be generated ({what} these students; the others have theirs):\n  "
            + "\n  ".join(f"{student}: {why}" for student, why in run.failed.items())
        )


def cmd_export(args) -> None:
    if getattr(args, "format", "nbgrader") != "nbgrader":  # demo calls this without the option
        export_to_lms(args)
        return
    nbgrader(ROOT, "export")
    students = students_in(ROOT / "autograded", args.assignment)
    rows = {s: steps for s in students if (steps := step_scores(ROOT, args.assignment, s))}
    steps_csv = write_steps_csv(ROOT / "reports" / f"{args.assignment}-steps.csv", rows)
    report = write_class_report(ROOT / "reports" / f"{args.assignment}-class-report.html", args.assignment, rows)
    course_csv = write_course_totals(ROOT / "reports" / "course-totals.csv", ROOT)
    say(
        f"Wrote reports/grades.csv (nbgrader export), {steps_csv.relative_to(ROOT)}, {report.relative_to(ROOT)} "
        f"({len(rows)} students) and {course_csv.relative_to(ROOT)} (every assignment graded so far)."
    )
    print_scores(ROOT, args.assignment, students)


def export_to_lms(args) -> None:
    """reports/<assignment>-<lms>.csv over the instructor's roster; who could not be exported is said."""
    if args.roster is None:
        raise CommandError(
            f"--format {args.format} needs --roster FILE: the class list exported from {args.format.capitalize()} "
            "(its gradebook's CSV export), whose rows the export fills."
        )
    students = students_in(ROOT / "autograded", args.assignment)
    scores = {s: steps for s in students if (steps := step_scores(ROOT, args.assignment, s))}
    out = ROOT / "reports" / f"{args.assignment}-{args.format}.csv"
    options = {"column": args.lms_column, "match_column": args.roster_match, "missing_manual": args.missing_manual}
    if args.format == "canvas":
        result = lms_export.write_canvas(out, Path(args.roster), args.assignment, scores, **options)
    else:
        result = lms_export.write_moodle(
            out, Path(args.roster), args.assignment, scores, identifier=args.identifier, **options
        )
    say(f"Wrote {out.relative_to(ROOT)}: {len(result.written)} student(s) with their {args.assignment} points.")
    if result.left_blank_manual:
        say(
            f"  left blank, answers still to grade by hand: {', '.join(result.left_blank_manual)} "
            "(grade them in the formgrader and export again)"
        )
    if result.not_in_roster:
        say(
            f"  graded but NOT in the roster, so not in the file: {', '.join(result.not_in_roster)} "
            "(check their ids against the roster's match column, or the roster is out of date)"
        )
    if result.no_grade:
        say(f"  in the roster without a grade of {args.assignment} (left blank): {', '.join(result.no_grade)}")


def cmd_similarity(args) -> None:
    # imported here: copydetect and matplotlib cost every other command a second of start-up
    from coursetools.classtools import similarity

    if not students_in(ROOT / "submitted", args.assignment):
        raise CommandError(
            f"No submissions of {args.assignment} in submitted/: run `./course collect --assignment {args.assignment}` first."
        )
    notebooks(args.assignment)
    if not (ROOT / "release" / args.assignment).is_dir():
        raise CommandError(
            f"No release/{args.assignment}/ to tell starter code from answers: run `./course release` first."
        )
    result = similarity.compare_class(ROOT, args.assignment)
    report = similarity.write_report(ROOT / "reports" / f"{args.assignment}-similarity.html", result)
    say(
        f"Compared {len(result.compared)} submission(s) of {args.assignment}; {len(result.flagged)} pair(s) at or above "
        f"{result.threshold:.0%} to look at (a person decides, not this report): {report.relative_to(ROOT)}"
    )
    for pair in result.flagged:
        say(f"  {pair.score:4.0%}  {pair.first}  {pair.second}")
    if result.too_little:
        say(f"  not compared, too little code of their own: {', '.join(result.too_little)}")
    for student, why in result.unreadable.items():
        say(f"  not compared, {student}: {why}")


def refuse_unsafe_host() -> None:
    """Stop before grading where the sandbox cannot give its required guarantees."""
    try:
        sandbox.check_namespaces()
    except sandbox.SandboxUnavailable as error:
        raise CommandError(str(error)) from None
    refusal = required_limits_refusal()
    if refusal:
        raise CommandError(refusal)


def cmd_doctor(args) -> None:
    text, ready = host_check.report(host_check.guarantees())
    say(text)
    if not ready:
        raise CommandError("a required guarantee is missing (the table above says which and how to fix it).")


def cmd_setup_host(args) -> None:
    for line in host_check.setup_host(args.user):
        say(line)


def cmd_demo(args) -> None:
    if unenforced_note():  # only the course's own sample class is graded: say so, do not refuse
        os.environ[SAMPLES_ONLY_ENV] = "1"
        say(f"WARNING: the demo grades the sample class with limits {unenforced_note()}")
    say("== data")
    cmd_data(args)
    for assignment in course_config.ASSIGNMENTS:
        args.assignment = assignment
        say(f"\n== {assignment}: release")
        cmd_release(args)
        say(f"== {assignment}: collect the bundled sample class")
        args.source = str(EXAMPLES)
        cmd_collect(args)
        say(f"== {assignment}: autograde")
        args.student = None
        cmd_autograde(args)
        say(f"\n== {assignment}: feedback")
        cmd_feedback(args)
        say(f"== {assignment}: export")
        cmd_export(args)


def cmd_check(args) -> None:
    path = Path(args.notebook)
    if not path.exists():
        raise CommandError(f"{path} does not exist: give the path of your notebook.")
    if not path.is_file():
        raise CommandError(f"{path} is a folder: give the path of your notebook (a .ipynb file).")
    try:
        nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several kinds for broken files
        first = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise CommandError(
            f"{path} is not a notebook Jupyter can open ({first}); download it again from Jupyter "
            "(File > Download) and check that copy."
        ) from None
    data.provision()
    _ = messages_for(path)  # the words in the language of the student's notebook
    say(_("Running {path} from top to bottom ...").format(path=path))
    results = run_checks(path)
    for result in results:
        say(report_line(result, _))
    failed, closing = summary(results, _)
    if failed:
        raise CommandError(closing)
    say(closing)


# Commands that act on one assignment: with several in course_config, --assignment is required.
ONE_ASSIGNMENT = (
    "release", "validate", "collect", "autograde", "feedback", "export", "similarity", "publish",
    "release-feedback", "grade", "worker",
)  # fmt: skip
# Commands that act on every assignment, or on the one --assignment names.
ANY_ASSIGNMENT = ("serve", "queue", "translations")


def chosen_assignment(given: str | None) -> str:
    """The assignment a command acts on: the one given, or the course's only one; never a silent default."""
    if given is not None:
        notebooks(given)  # an unknown assignment is named before anything runs
        return given
    known = list(course_config.ASSIGNMENTS)
    if len(known) == 1:
        return known[0]
    raise CommandError(f"Which assignment? Give --assignment with one of: {', '.join(known)}.")


def cmd_new_assignment(args) -> None:
    written = scaffold.write(args.id, ROOT, add_to_config=args.add_to_config)
    for path in written:
        say(f"wrote {path.relative_to(ROOT)}")
    if not args.add_to_config:
        say(f"Add this line at the end of course_config.py:\n  {scaffold.config_entry(args.id)}")
    say(
        f"Next: edit source/{args.id}/{args.id}.ipynb (keep each cell's nbgrader metadata), then run "
        f"`./course release --assignment {args.id}` and `./course validate --assignment {args.id}`."
    )


def cmd_grade(args) -> None:
    if args.csv:
        if args.student or args.cell or args.points is not None:
            raise CommandError("Give either --csv FILE or --student, --cell and --points, not both.")
        entered = manual_grades.import_csv(ROOT, args.assignment, Path(args.csv))
    else:
        missing = [
            o for o, v in (("--student", args.student), ("--cell", args.cell), ("--points", args.points)) if v is None
        ]
        if missing:
            raise CommandError(
                f"grade needs --csv FILE, or --student, --cell and --points (missing {', '.join(missing)})."
            )
        entered = [manual_grades.enter(ROOT, args.assignment, args.student, args.cell, args.points, args.comment)]
    for grade in entered:
        say(f"  {grade}")
    say(
        f"Entered {len(entered)} grade(s) by hand for {args.assignment}; run `./course export --assignment "
        f"{args.assignment}` and `./course feedback --assignment {args.assignment}` to update the reports."
    )


def cmd_serve(args) -> None:
    from coursetools.service.coordinator import Coordinator

    exchange_root()
    assignments = [args.assignment] if args.assignment else list(course_config.ASSIGNMENTS)
    for assignment in assignments:  # the gradebook has each before results come
        nbgrader(ROOT, "db", "assignment", "add", assignment)
    coordinator = Coordinator(ROOT, assignments, args.workers, say=say)
    how = "through the broker" if coordinator.uses_broker else f"with a local pool of {args.workers}"
    say(f"Serving {', '.join(assignments)}: grading each new submission {how} (Ctrl-C stops) ...")
    coordinator.serve(rounds=args.rounds)


def cmd_worker(args) -> None:
    from coursetools.service import worker

    worker.run(args.workers, args.assignment, args.name)


def cmd_translations(args) -> None:
    """Both kinds of catalogue updated from the English: the notebooks' texts
    (source/<id>/translations/<language>.po) and the messages (messages.<language>.po)."""
    from coursetools.course import message_sources

    left = []
    for assignment in [args.assignment] if args.assignment else list(course_config.ASSIGNMENTS):
        for language in translations.translated_languages(ROOT, assignment):
            path = translations.update(ROOT, assignment, language)
            problems = translations.problems(ROOT, assignment, language)
            say(f"Updated {path.relative_to(ROOT)} from source/{assignment}/: {len(problems)} text(s) to translate.")
            for problem in problems:
                say(f"  {problem}")
            left += problems
    messages = message_sources.update_all()
    say(f"Updated the message catalogues: {len(messages)} message(s) to translate.")
    for problem in messages:
        say(f"  {problem}")
    if left or messages:
        raise CommandError(f"{len(left) + len(messages)} text(s) and message(s) to translate, listed above.")
    say("Every text and message has a current translation.")


def cmd_queue(args) -> None:
    from coursetools.service.queue_view import rows

    say("\n".join(rows(ROOT, args.assignment)))


COMMANDS = {
    "data": (cmd_data, "provision the Fashion-MNIST cache"),
    "release": (cmd_release, "generate release/ and check it for leaks"),
    "validate": (cmd_validate, "check the assignment end to end; non-zero exit if anything is wrong"),
    "samples": (cmd_samples, "rewrite examples/submitted/ from source/ and release/"),
    "collect": (cmd_collect, "copy submissions into submitted/ from a folder or a zip"),
    "autograde": (cmd_autograde, "grade submissions in parallel sandboxes"),
    "feedback": (cmd_feedback, "generate HTML feedback"),
    "export": (cmd_export, "write grades.csv and the per-step CSV, or Canvas's or Moodle's import file"),
    "similarity": (cmd_similarity, "report pairs of students whose own code is alike, for a person to look at"),
    "demo": (cmd_demo, "run the whole workflow on the bundled sample class"),
    "jupyter-setup": (cmd_jupyter_setup, "set up the exchange and the students' and your Jupyter"),
    "lab": (cmd_lab, "start your JupyterLab in the course root, formgrader included"),
    "publish": (cmd_publish, "put the release in nbgrader's exchange for students to fetch"),
    "release-feedback": (cmd_release_feedback, "generate feedback and return it through the exchange"),
    "check": (cmd_check, "self-check a notebook: run it and report each visible check"),
    "doctor": (cmd_doctor, "what the grading sandbox enforces on this host; non-zero exit if a guarantee is missing"),
    "setup-host": (cmd_setup_host, "as root, once: let a non-root grading account create the kernels' cgroups"),
    "new-assignment": (cmd_new_assignment, "write source/<ID>/ from a template: every kind of cell, a plugin stub"),
    "grade": (cmd_grade, "enter grades by hand for a student's cell, or import a CSV of them"),
    "serve": (cmd_serve, "grade each submission as it arrives in the exchange and release its feedback"),
    "worker": (cmd_worker, "grade submissions from the broker (GRADING_BROKER_URL) on this machine"),
    "queue": (cmd_queue, "list the submissions taken by `serve`: queued, running, done, failed"),
    "translations": (
        cmd_translations,
        "update the notebooks' and the messages' catalogues from the English; non-zero exit if any is untranslated",
    ),
}


class CourseArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 1 like every other error."""

    def error(self, message):
        self.exit(1, f"error: {message} (see `{self.prog} --help`)\n")


def add_lms_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("nbgrader", "canvas", "moodle"),
        default="nbgrader",
        help="nbgrader: grades.csv, the step CSV and the class report (default); canvas or moodle: "
        "reports/<assignment>-<format>.csv in that LMS's grade import format, filled over --roster",
    )
    p.add_argument("--roster", metavar="CSV", help="the class list exported from the LMS (canvas, moodle)")
    p.add_argument(
        "--roster-match",
        metavar="COLUMN",
        help="roster column holding each student's nbgrader id "
        f"(default: {lms_export.DEFAULT_MATCH['canvas']!r} for canvas, {lms_export.DEFAULT_MATCH['moodle']!r} for moodle)",
    )
    p.add_argument(
        "--lms-column",
        metavar="NAME",
        help="the assignment's column in the LMS (default: canvas, the roster's '<assignment> (<id>)'; "
        "moodle, the assignment id)",
    )
    p.add_argument(
        "--identifier",
        choices=tuple(lms_export.MOODLE_IDENTIFIERS),
        default="email",
        help="moodle: the user field identifying students (email, idnumber or userid; default: email)",
    )
    p.add_argument(
        "--missing-manual",
        choices=lms_export.MISSING_MANUAL,
        default="refuse",
        help="when answers still wait for a grade by hand: refuse to write the file (default), "
        "or leave those students' cells blank and list them",
    )


def add_grade_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--student", help="the student's id")
    p.add_argument("--cell", metavar="GRADE_ID", help="the graded cell's grade id (as in the step CSV's columns)")
    p.add_argument("--points", type=float, help="the points given, from 0 to the cell's maximum")
    p.add_argument("--comment", help="a comment the student reads in the feedback")
    p.add_argument(
        "--csv",
        metavar="FILE",
        help=f"import grades by hand: a CSV with columns {', '.join(manual_grades.CSV_COLUMNS)} (comment may be empty)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = CourseArgumentParser(
        prog="python -m coursetools", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (func, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name in ONE_ASSIGNMENT:
            p.add_argument(
                "--assignment",
                help=f"assignment id, one of {', '.join(course_config.ASSIGNMENTS)} (required when there are several)",
            )
        if name in ANY_ASSIGNMENT:
            p.add_argument("--assignment", help="only this assignment (default: every one in course_config)")
        if name in ("autograde", "demo", "serve", "worker"):
            p.add_argument(
                "--workers",
                type=int,
                default=course_config.GRADING_WORKERS,
                help=f"submissions graded at once (default: {course_config.GRADING_WORKERS})",
            )
        if name == "serve":
            p.add_argument("--rounds", type=int, help=argparse.SUPPRESS)  # the tests' bounded runs
        if name == "worker":
            p.add_argument("--name", help="this worker's name in the queue (default: grader-<pid>@<host>)")
        if name == "autograde":
            p.add_argument("--student", action="append", help="grade only this student (repeatable)")
        if name == "collect":
            p.add_argument(
                "source",
                nargs="?",
                help="a folder (nbgrader layout, or <student>_<notebook> files) or a .zip; "
                "without it, the latest submissions in nbgrader's exchange",
            )
        if name == "jupyter-setup":
            p.add_argument(
                "--everyone-config",
                type=Path,
                metavar="DIR",
                help="Jupyter configuration folder every student's server reads "
                f"(default: this environment's, {jupyter_server.environment_config_dir()})",
            )
        if name == "publish":
            p.add_argument("--replace", action="store_true", help="replace a release already in the exchange")
        if name == "check":
            p.add_argument("notebook", help="path of the notebook to check")
        if name == "setup-host":
            p.add_argument("--user", required=True, help="the account that grades (e.g. the JupyterHub grader's)")
        if name == "export":
            add_lms_options(p)
        if name == "new-assignment":
            p.add_argument("id", help="the new assignment's id: lowercase letters, digits, underscores")
            p.add_argument("--add-to-config", action="store_true", help="append its entry to course_config.py")
        if name == "grade":
            add_grade_options(p)
        p.set_defaults(func=func)
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = extra  # passed on to `jupyter lab`
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command in ONE_ASSIGNMENT:
            args.assignment = chosen_assignment(args.assignment)
        elif args.command in ANY_ASSIGNMENT and args.assignment is not None:
            chosen_assignment(args.assignment)  # an unknown one is named before anything runs
        args.func(args)
    except (CommandError, data.DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
