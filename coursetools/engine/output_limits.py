"""Cap what a notebook's outputs may keep before nbgrader stores them.

nbgrader's LimitOutput counts lines only, after the whole output is in memory:
one 100 MB line, or the ~19,000 progress updates of an honest `fit(verbose=1)`,
reach the graded notebook and the feedback page. Here each output message is
folded in as it arrives, with work linear in its size and state bounded by the
budget: consecutive stream text is merged, terminal progress bars (carriage
returns, backspaces) collapse to their last state in one pass, and what is beyond
a budget is dropped with one note. The budgets (course_config.OUTPUT_LIMIT_*):
text bytes and lines per cell, rich output (pictures) bytes per cell, outputs per
cell, and bytes and outputs across the whole notebook, so many cells each just
under a cell's budget cannot add up to a huge graded notebook.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import numpy as np
from nbformat import from_dict
from nbformat.v4 import new_output

import course_config

NOTE = "\n[output limit] {what}; the rest is not shown.\n"


@dataclass(frozen=True)
class OutputLimits:
    cell_text_bytes: int
    cell_text_lines: int
    cell_rich_bytes: int
    cell_outputs: int
    notebook_bytes: int
    notebook_outputs: int

    @classmethod
    def from_course(cls) -> OutputLimits:
        return cls(
            cell_text_bytes=course_config.OUTPUT_LIMIT_BYTES_PER_CELL,
            cell_text_lines=course_config.OUTPUT_LIMIT_LINES_PER_CELL,
            cell_rich_bytes=course_config.OUTPUT_LIMIT_RICH_BYTES_PER_CELL,
            cell_outputs=course_config.OUTPUT_LIMIT_OUTPUTS_PER_CELL,
            notebook_bytes=course_config.OUTPUT_LIMIT_BYTES_PER_NOTEBOOK,
            notebook_outputs=course_config.OUTPUT_LIMIT_OUTPUTS_PER_NOTEBOOK,
        )


class TerminalText:
    """Text as a terminal leaves it, fed in pieces, in time linear in what is fed.

    A carriage return starts its line again, a backspace erases the character before
    it on the same line. Text is kept up to `max_chars` characters and `max_lines`
    lines; past them nothing more is read (the budget is spent: the rest is dropped),
    and the open line is kept up to `max_chars` too, so a line that never ends costs
    bounded memory.
    """

    def __init__(self, max_chars: int, max_lines: int):
        self.max_chars, self.max_lines = max_chars, max_lines
        self.done: list[str] = []  # finished lines, each ending in "\n"
        self.done_chars = 0
        self.line: list[str] = []  # the open line, as single characters

    @property
    def over(self) -> bool:
        return self.done_chars > self.max_chars or len(self.done) > self.max_lines

    def feed(self, text: str) -> None:
        if self.over:
            return
        pieces = text.split("\n")
        self._write(pieces[0])
        for piece in itertools.islice(pieces, 1, None):
            self._end_line()
            if self.over:  # at most max_lines + 1 lines are ever looked at
                return
            self._write(piece)

    def _write(self, piece: str) -> None:
        if "\r" in piece:
            self.line = []
            piece = piece[piece.rindex("\r") + 1 :]
        if "\x08" in piece:
            erased, piece = _apply_backspaces(piece)
            del self.line[max(0, len(self.line) - erased) :]
        room = self.max_chars + 1 - len(self.line)  # one more than may be kept: tells that text was cut
        if room > 0:
            self.line.extend(piece[:room])

    def _end_line(self) -> None:
        line = "".join(self.line) + "\n"
        self.line = []
        self.done.append(line)
        self.done_chars += len(line)

    def size(self) -> tuple[int, int]:
        """(characters, lines) the text would keep now."""
        return self.done_chars + len(self.line), len(self.done)

    def text(self, max_chars: int, max_lines: int) -> str:
        kept = "".join(self.done[:max_lines]) + ("".join(self.line) if len(self.done) < max_lines else "")
        return kept[:max_chars]


def _apply_backspaces(piece: str) -> tuple[int, str]:
    """(characters erased before `piece`, what is left of it) once its backspaces erased what
    they erase: a character stays when the count of characters minus backspaces never
    drops below its level later in the piece. Vectorised: linear, no loop per backspace."""
    codes = np.frombuffer(piece.encode("utf-32-le"), dtype=np.uint32)
    steps = np.where(codes == 8, -1, 1)
    level = np.cumsum(steps)
    lowest_after = np.minimum.accumulate(level[::-1])[::-1]
    kept = (steps == 1) & (lowest_after >= level)
    return max(0, -int(level.min())), codes[kept].tobytes().decode("utf-32-le")


def collapse_progress(text: str, max_chars: int | None = None, max_lines: int | None = None) -> str:
    """Each line as a terminal would leave it, in time linear in the text's length."""
    limit = len(text) + 1
    terminal = TerminalText(max_chars or limit, max_lines or limit)
    terminal.feed(text)
    return terminal.text(max_chars or limit, max_lines or limit)


def output_size(output) -> int:
    """Bytes an output takes in the graded notebook (once per output: linear)."""
    return len(json.dumps(output))


def decides_grade(output) -> bool:
    """Outputs nbgrader's determine_grade reads in a test cell: an error or stderr text (no
    credit), a result (partial credit). The first one of a cell is always kept, bounded."""
    kind = output.get("output_type")
    return kind in ("error", "execute_result") or (kind == "stream" and output.get("name") == "stderr")


def bounded_copy(output, chars: int = 2_000):
    """A small copy of an output that decides a grade, with what decides it intact."""
    kind = output.get("output_type")
    if kind == "error":
        frames = [str(line)[:chars] for line in output.get("traceback", [])[-10:]]
        return new_output(
            "error", ename=str(output.get("ename"))[:200], evalue=str(output.get("evalue"))[:chars], traceback=frames
        )
    if kind == "execute_result":
        text = output.get("data", {}).get("text/plain", "")
        return new_output(
            "execute_result", data={"text/plain": str(text)[:chars]}, execution_count=output.get("execution_count")
        )
    return new_output("stream", name="stderr", text=str(output.get("text", ""))[:chars])


class OutputBudget:
    """The budgets of one notebook's outputs, fed by the executor one output message at a time.

    `fold` is called right after nbclient appended an output to the cell's list and
    costs time linear in that output; `finish_cell` is called when the cell is done.
    The merged text of a stream output is written into it once, when the next
    output or the end of the cell closes it, never once per message.
    """

    def __init__(self, limits: OutputLimits):
        self.limits = limits
        self.notebook_bytes = 0  # kept by finished cells
        self.notebook_outputs = 0
        self.cell_index = None
        self._reset_cell()

    def _reset_cell(self) -> None:
        self.full = False
        self.rich_bytes = 0  # kept by the cell's other outputs
        self.outputs = 0
        self.closed_chars = self.closed_lines = 0  # kept by its closed stream outputs
        self.verdict_kept = False
        self._open = None  # (stream output, its TerminalText): where text of its name merges in

    # -- what the cell may still keep ---------------------------------------------
    def _text_cap(self) -> int:
        notebook_room = self.limits.notebook_bytes - self.notebook_bytes - self.rich_bytes
        return min(self.limits.cell_text_bytes, notebook_room)

    def _outputs_left(self) -> int:
        return min(
            self.limits.cell_outputs - self.outputs,
            self.limits.notebook_outputs - self.notebook_outputs - self.outputs,
        )

    def _bytes_left(self) -> int:
        open_chars = self._open[1].size()[0] if self._open else 0
        return min(
            self.limits.cell_rich_bytes - self.rich_bytes,
            self.limits.notebook_bytes - self.notebook_bytes - self.rich_bytes - self.closed_chars - open_chars,
        )

    # -- folding ----------------------------------------------------------------
    def start_cell(self, cell_index: int) -> None:
        if cell_index != self.cell_index:
            self.cell_index = cell_index
            self._reset_cell()

    def cleared(self) -> None:
        """The cell's outputs were cleared (clear_output): what they kept is free again."""
        self._reset_cell()

    def fold(self, outs: list, cell_index: int) -> None:
        """Fold the output just appended to `outs` into the budgets."""
        self.start_cell(cell_index)
        if not outs:
            return
        last = outs.pop()
        if self.full:
            return self._keep_verdict(outs, last)
        if last.get("output_type") == "stream":
            self._fold_stream(outs, last)
        else:
            self._fold_other(outs, last)

    def _fold_stream(self, outs: list, last) -> None:
        if self._open is None or not outs or outs[-1] is not self._open[0] or self._open[0].name != last.name:
            self._close(outs)
            if self._outputs_left() <= 0:
                return self._stop(outs, last, "this cell, or the notebook, has more outputs than may be kept")
            target = new_output("stream", name=last.name, text="")
            self._open = (target, TerminalText(0, 0))
            self.outputs += 1
            self.verdict_kept |= decides_grade(target)
            outs.append(target)
        target, terminal = self._open
        room = self._text_cap() - self.closed_chars
        terminal.max_chars = max(0, room)
        terminal.max_lines = self.limits.cell_text_lines - self.closed_lines
        terminal.feed(last.get("text", ""))
        chars, lines = terminal.size()
        if chars > room or self.closed_lines + lines > self.limits.cell_text_lines:
            self._close(outs)
            self._stop(outs, None, "this cell, or the notebook, printed more text than may be kept")

    def _fold_other(self, outs: list, last) -> None:
        self._close(outs)
        size = output_size(last)
        if self._outputs_left() <= 0:
            return self._stop(outs, last, "this cell, or the notebook, has more outputs than may be kept")
        if size > self._bytes_left():
            return self._stop(
                outs, last, "this cell, or the notebook, showed more pictures or rich output than may be kept"
            )
        self.rich_bytes += size
        self.outputs += 1
        self.verdict_kept |= decides_grade(last)
        outs.append(last)

    def admit_update(self, size: int) -> bool:
        """Whether an update of an earlier display (update_display_data) of `size` bytes may be
        kept; it counts as new rich output of the current cell."""
        if self.full or size > self._bytes_left():
            return False
        self.rich_bytes += size
        return True

    def _close(self, outs: list) -> None:
        """Write the open stream output's merged text into it, cut to what may be kept."""
        if self._open is None:
            return
        output, terminal = self._open
        output.text = terminal.text(
            max(0, self._text_cap() - self.closed_chars), max(0, self.limits.cell_text_lines - self.closed_lines)
        )
        self.closed_chars += len(output.text)
        self.closed_lines += output.text.count("\n")
        self._open = None

    def finish_cell(self, outs: list) -> None:
        """The cell is done: its open stream output gets its text, the notebook what the cell kept."""
        self._close(outs)
        self.notebook_bytes += self.rich_bytes + self.closed_chars
        self.notebook_outputs += self.outputs
        self.cell_index = None
        self._reset_cell()

    def _keep_verdict(self, outs: list, dropped) -> None:
        """A dropped output that would decide a test's grade is kept, small, if it is the cell's first."""
        if dropped is not None and decides_grade(dropped) and not self.verdict_kept:
            self.verdict_kept = True
            copy = bounded_copy(dropped)
            self.rich_bytes += output_size(copy)
            outs.append(copy)

    def _stop(self, outs: list, dropped, what: str) -> None:
        self.full = True
        self._keep_verdict(outs, dropped)
        note = new_output("display_data", data={"text/plain": NOTE.format(what=what)})
        self.rich_bytes += output_size(note)
        outs.append(note)

    def fold_all(self, outputs: list, cell_index: int) -> list:
        """The outputs of a cell that ran elsewhere (the checker), folded as if they had arrived here."""
        self.start_cell(cell_index)
        kept: list = []
        for output in outputs:
            kept.append(output)
            self.fold(kept, cell_index)
        self.finish_cell(kept)
        return kept


def output_from_message(msg: dict):
    """nbformat's output_from_msg without its schema validation (milliseconds per output, so a
    cell that displays thousands of small outputs kept the grader busy long after the kernel
    was done); the shape is checked here instead. None for a message that is no output."""
    kind, content = msg.get("msg_type") or msg.get("header", {}).get("msg_type"), msg.get("content")
    if not isinstance(content, dict):
        return None
    if kind == "stream":
        name = content.get("name") if content.get("name") in ("stdout", "stderr") else "stdout"
        return from_dict({"output_type": kind, "name": name, "text": _text(content.get("text"))})
    if kind in ("display_data", "execute_result"):
        data, metadata = content.get("data"), content.get("metadata")
        if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
            return None
        output = {"output_type": kind, "data": data, "metadata": metadata if isinstance(metadata, dict) else {}}
        if kind == "execute_result":
            count = content.get("execution_count")
            output["execution_count"] = count if isinstance(count, int) else None
        return from_dict(output)
    if kind == "error":
        traceback = content.get("traceback")
        return from_dict(
            {
                "output_type": kind,
                "ename": _text(content.get("ename")),
                "evalue": _text(content.get("evalue")),
                "traceback": [_text(line) for line in traceback] if isinstance(traceback, list) else [],
            }
        )
    return None


def _text(value) -> str:
    return value if isinstance(value, str) else ""
