"""stdout and stderr of the student's kernel, bounded per cell at the source.

Loaded inside the student's sandbox (mounted alone as a module; the sandbox sees no
other grader code) as ipykernel's `outstream_class`. A cell that prints more than
KERNEL_STREAM_LIMIT_BYTES keeps the first part and one note: an honest `print` of a
huge array, or a loop that never stops printing, no longer sends hundreds of
megabytes to the grader. The grader's own per-cell output budget (output_limits.py)
then trims what it keeps further.
"""

import os

from ipykernel.iostream import OutStream

LIMIT = int(os.environ.get("COURSETOOLS_STREAM_LIMIT_BYTES", "10000000"))


class BoundedOutStream(OutStream):
    _bounded_cell = None
    _bounded_written = 0

    def write(self, string):
        if not isinstance(string, str):
            return super().write(string)
        cell = self.parent_header.get("msg_id") if isinstance(self.parent_header, dict) else None
        if cell != self._bounded_cell:
            self._bounded_cell, self._bounded_written = cell, 0
        room = LIMIT - self._bounded_written
        self._bounded_written += len(string)
        if room <= 0:
            return len(string)
        if len(string) > room:
            super().write(string[:room])
            super().write(
                f"\n[output limit] this cell printed more than {LIMIT:,} characters; the rest is not shown.\n"
            )
            return len(string)
        return super().write(string)
