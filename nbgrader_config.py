# nbgrader reads this file from the course root (it ignores --config, nbgrader #1370).
# It only loads the course settings; change them in course_config.py.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    from coursetools.course.nbgrader_settings import apply

    apply(get_config())  # noqa: F821 - traitlets provides get_config here
except Exception as error:
    # traitlets would log this and carry on with stock settings, which would
    # grade without the sandbox; stop instead.
    raise SystemExit(f"nbgrader_config.py: could not load the course settings: {error!r}") from error
