"""Cap what one cell's outputs may keep before nbgrader stores them.

nbgrader's LimitOutput counts lines only, after the whole output is in memory:
one 100 MB line, or the ~19,000 progress updates of an honest `fit(verbose=1)`,
reach the graded notebook and the feedback page. Here each output message is
folded in as it arrives: consecutive stream text is merged, terminal progress
bars (carriage returns, backspaces) collapse to their last state, and text
beyond OUTPUT_LIMIT_BYTES_PER_CELL / OUTPUT_LIMIT_LINES_PER_CELL is dropped with
a note; rich outputs (pictures) have a budget of their own.
"""

from __future__ import annotations

import json
import re

from nbformat.v4 import new_output

RICH_BYTES_PER_CELL = 5_000_000
_ERASED = re.compile(r"[^\n\x08]\x08")  # a character and the backspace that erases it


def collapse_progress(text: str) -> str:
    """Each line as a terminal would leave it: what follows its last carriage return."""
    while _ERASED.search(text):
        text = _ERASED.sub("", text)
    text = text.replace("\x08", "")  # backspaces at the start of a line erase nothing
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


class OutputBudget:
    def __init__(self, max_bytes: int, max_lines: int, max_rich_bytes: int = RICH_BYTES_PER_CELL):
        self.max_bytes, self.max_lines, self.max_rich_bytes = max_bytes, max_lines, max_rich_bytes
        self.cell_index = None
        self.full = False

    def fold(self, outs: list, cell_index: int) -> None:
        """Fold the output just appended to `outs` into the cell's budget."""
        if cell_index != self.cell_index:
            self.cell_index, self.full = cell_index, False
        if not outs:
            return
        if outs[-1].get("output_type") == "stream":
            self._fold_stream(outs)
        elif self._rich_bytes(outs) > self.max_rich_bytes:
            outs.pop()
            self._stop(outs, "pictures or rich output")

    def _fold_stream(self, outs: list) -> None:
        last = outs.pop()
        if self.full:
            return
        previous = outs[-1] if outs and outs[-1].get("output_type") == "stream" and outs[-1].name == last.name else None
        if previous is None:
            last.text = collapse_progress(last.text)
            outs.append(last)
        else:  # lines before the last newline are final already: only the open line changes
            head, _, tail = previous.text.rpartition("\n")
            previous.text = head + ("\n" if _ else "") + collapse_progress(tail + last.text)
        streams = [o for o in outs if o.get("output_type") == "stream"]
        size, lines = sum(len(o.text) for o in streams), sum(o.text.count("\n") for o in streams)
        if size > self.max_bytes or lines > self.max_lines:
            target = outs[-1]
            keep_lines = max(0, target.text.count("\n") - (lines - self.max_lines))
            keep_bytes = max(0, len(target.text) - (size - self.max_bytes))
            target.text = "\n".join(target.text.split("\n")[:keep_lines])[:keep_bytes]
            self._stop(outs, "text")

    def _rich_bytes(self, outs: list) -> int:
        return sum(len(json.dumps(o.get("data", {}))) for o in outs if o.get("output_type") != "stream")

    def _stop(self, outs: list, what: str) -> None:
        self.full = True
        note = f"\n[output limit] this cell printed more {what} than a cell may keep; the rest is not shown.\n"
        outs.append(new_output("display_data", data={"text/plain": note}))
