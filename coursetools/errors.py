"""The one error type the CLI turns into a clear message and exit status 1."""


class CommandError(RuntimeError):
    """Something the user can fix; the message says what and how."""
