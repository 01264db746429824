"""The engine tests' assignment: step titles only (see coursetools/course/plugins.py)."""

STEP_TITLES = {
    "test-squares": "1. Squares",
    "test-values": "2. Values",
    "test-normalize": "3. Normalize",
    "reflection": "4. Reflection",
}
