"""Turn course_config.py into nbgrader settings (used by nbgrader_config.py)."""

import os
import sys

import course_config
from coursetools.course.language import CATALOGUE_PATTERN
from coursetools.course.plugins import PLUGIN_FILE
from coursetools.course.translations import FOLDER as TRANSLATIONS_FOLDER


def gradebook_url(root) -> str:
    if course_config.GRADEBOOK_URL:
        return course_config.GRADEBOOK_URL
    # A long busy timeout lets parallel graders share the SQLite gradebook
    # instead of failing with "database is locked".
    return f"sqlite:///{root / 'gradebook.db'}?timeout=120"


def apply(c) -> None:
    # nbgrader runs `alembic` by name when it creates a gradebook; find the one
    # installed next to this interpreter even when the virtualenv is not activated.
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    # Keras in nbgrader's own process (feedback pictures) reads the course's data cache.
    os.environ.setdefault("KERAS_HOME", str(course_config.KERAS_HOME))
    root = course_config.COURSE_ROOT
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = course_config.COURSE_ID
    c.CourseDirectory.db_url = gradebook_url(root)
    c.Exchange.root = str(course_config.EXCHANGE_ROOT)
    # Collecting (the formgrader's button, `nbgrader collect`) copies no links or special files
    # and refuses a folder its claimed student did not write (coursetools/workflow/exchange_collect.py).
    from coursetools.workflow.exchange_collect import SafeExchangeCollect

    c.ExchangeFactory.collect = SafeExchangeCollect
    c.SafeExchangeCollect.max_bytes = course_config.SUBMISSION_MAX_MB * 1_000_000
    # The assignment's grading plugin stays with the instructor: never released, never collected.
    c.CourseDirectory.ignore = [
        ".ipynb_checkpoints",
        "*.pyc",
        "__pycache__",
        "feedback",
        ".keras",
        PLUGIN_FILE,
        CATALOGUE_PATTERN,  # the message catalogues hold hidden tests' messages
        TRANSLATIONS_FOLDER,
    ]

    # `nbgrader export` writes next to the other reports, not into the course root.
    (root / "reports").mkdir(exist_ok=True)
    c.ExportPlugin.to = str(root / "reports" / "grades.csv")

    c.FileNameCollectorPlugin.named_regexp = course_config.SUBMISSION_FILENAME_PATTERN
    c.Execute.timeout = course_config.CELL_TIMEOUT_SECONDS
    c.SandboxedExecute.notebook_timeout = course_config.NOTEBOOK_TIMEOUT_SECONDS
    c.SandboxedExecute.call_timeout = course_config.FUNCTION_CALL_TIMEOUT_SECONDS
    c.IgnorePattern.pattern = course_config.STDERR_NOISE_PATTERN

    from nbgrader.converters.autograde import Autograde

    from coursetools.engine.execute import SandboxedExecute
    from coursetools.preprocessors.describe_student_figures import DescribeStudentFigures
    from coursetools.preprocessors.feedback_summary import FeedbackSummary
    from coursetools.preprocessors.hide_hidden_tests import HideHiddenTests
    from coursetools.preprocessors.manual_review import SaveAutoGradesOrReview
    from coursetools.preprocessors.pending_grades import CourseFeedbackExporter, PendingGrades
    from coursetools.preprocessors.restore_locked_cells import RestoreLockedCells
    from coursetools.preprocessors.sanitize_outputs import SanitizeStudentOutputs
    from coursetools.preprocessors.show_submitted_outputs import ShowSubmittedOutputs
    from coursetools.preprocessors.translate_messages import TranslateMessages
    from coursetools.preprocessors.withhold_hidden_steps import WithholdHiddenSteps

    replacements = {
        "Execute": SandboxedExecute,
        "SaveAutoGrades": SaveAutoGradesOrReview,
        "OverwriteCells": RestoreLockedCells,
    }
    c.Autograde.sanitize_preprocessors = [
        replacements.get(pp.__name__, pp) for pp in Autograde.sanitize_preprocessors.default()
    ]
    stock = Autograde.autograde_preprocessors.default()
    autograde = [replacements.get(pp.__name__, pp) for pp in stock]
    # Student outputs and written answers are made safe once, right after the run (wherever
    # nbgrader's Execute stood), so the formgrader, the feedback and any notebook viewer show
    # nothing that runs (safe_outputs.py).
    autograde.insert([pp.__name__ for pp in stock].index("Execute") + 1, SanitizeStudentOutputs)
    # The grader's messages in the language of the notebook the student submitted (language.py):
    # last, once every grade is saved, so that it changes words only.
    autograde.append(TranslateMessages)
    c.Autograde.autograde_preprocessors = autograde
    from nbgrader.converters.generate_feedback import GenerateFeedback

    # The student's cells show their own run's outputs, test cells only what hidden tests allow
    # (show_submitted_outputs.py, hide_hidden_tests.py). What the student wrote is made safe again
    # (safe_outputs.py: a no-op on what autograde made safe) before the grader's own summary
    # goes on top, so nothing in the feedback page runs.
    c.ShowSubmittedOutputs.submitted_directory = str(root / "submitted")
    c.GenerateFeedback.preprocessors = [
        ShowSubmittedOutputs,
        HideHiddenTests,
        TranslateMessages,  # HideHiddenTests' own words too
        *GenerateFeedback.preprocessors.default(),  # GetGrades: the gradebook's grades into the cells
        PendingGrades,
        WithholdHiddenSteps,  # off unless `serve` asks for it before the due date
        SanitizeStudentOutputs,
        DescribeStudentFigures,
        FeedbackSummary,
    ]
    # nbgrader's feedback page with pending grades shown as "?" (pending_grades.py), through an
    # exporter of its own: settings of nbgrader's HTMLExporter (the formgrader's template, the
    # formgrader's feedback button) do not reach it.
    c.GenerateFeedback.exporter_class = CourseFeedbackExporter
    c.CourseFeedbackExporter.update(CourseFeedbackExporter.template_settings)
