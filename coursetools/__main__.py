import sys
from pathlib import Path

# Importable from anywhere: the course root holds course_config.py.
sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from coursetools.cli import main  # noqa: E402

sys.exit(main())
