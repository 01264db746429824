# nbgrader reads this file from the course root (it ignores --config, nbgrader #1370).
# It only loads the course settings; change them in course_config.py.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coursetools.nbgrader_settings import apply  # noqa: E402

apply(get_config())  # noqa: F821 - get_config is provided by traitlets when it loads this file
