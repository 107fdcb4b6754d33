"""Progress of `pathx run` on the console: a rich bar, plain lines (cron, log files) or nothing.

Lines name files by their escaped key and counts only, never report text.
"""
from __future__ import annotations

import sys
import time

from pathx.run.outcome import Outcome, RunSummary

# Plain (cron, log file) mode prints a progress line at most this often; errors and skips always.
PROGRESS_SECONDS = 10.0


class Progress:
    """Progress of one run. `tick` comes once per file as soon as it is read (so the rate and ETA
    are real, not per batch); `advance` once per file when its batch is committed, which only
    adds what changed since the tick (a prediction failure, a file left for the next run)."""

    def __init__(self, console=None):
        self.console = console

    def start(self, total: int, unchanged: int) -> None: ...
    def tick(self, outcome: Outcome) -> None: ...
    def advance(self, outcome: Outcome) -> None: ...
    def note(self, text: str) -> None: ...
    def finish(self, summary: RunSummary) -> None: ...
    def close(self) -> None: ...

    def _count(self) -> tuple[float, float]:
        """(files/s over this run's files so far, seconds left at that rate)."""
        self.done += 1
        rate = self.done / max(time.monotonic() - self.t0, 1e-6)
        return rate, (self.total - self.done) / rate

    @staticmethod
    def _what(o: Outcome) -> str:
        """What happened to a file, in one line: its escaped name and counts, never its text."""
        if o.status == "ok":
            r = o.result
            return f"ok     {o.file} ({len(r.units)} specimen(s), {r.method}, {r.seconds:.2f}s)"
        if o.status == "error":
            return f"error  {o.error}"
        return f"skip   {o.file}: {o.skip_reason}"

    @staticmethod
    def _shown(o: Outcome) -> tuple:
        return (o.status, o.error, o.skip_reason)


class PlainProgress(Progress):
    """Lines on stderr, what cron mails and log files want: every error and skip, and a progress
    line with files/s and ETA at most every PROGRESS_SECONDS (and for the first and last file)."""

    def _print(self, text: str) -> None:
        stream = self.console.file if self.console is not None else sys.stderr
        print(text, file=stream, flush=True)

    def start(self, total: int, unchanged: int) -> None:
        self.total, self.done, self.t0, self.last = total, 0, time.monotonic(), float("-inf")
        self.shown: dict[int, tuple] = {}
        self._print(f"pathx run: {total} file(s) to process, {unchanged} unchanged skipped")

    def tick(self, o: Outcome) -> None:
        rate, eta = self._count()
        now = time.monotonic()
        self.shown[id(o)] = self._shown(o)
        if o.status != "ok" or self.done in (1, self.total) or now - self.last >= PROGRESS_SECONDS:
            self.last = now
            self._print(f"[{self.done}/{self.total}] {self._what(o)}  {rate:.2f} files/s ETA {_hms(eta)}")

    def advance(self, o: Outcome) -> None:
        if self.shown.pop(id(o), None) != self._shown(o):  # changed after it was read (or not ticked)
            self._print(self._what(o))

    def note(self, text: str) -> None:
        self._print(f"pathx run: {text}")

    def finish(self, s: RunSummary) -> None:
        self._print(f"pathx run: {s.message}")


class RichProgress(PlainProgress):
    """A progress bar with files/s and ETA, moved per file, for people watching a terminal."""

    def start(self, total: int, unchanged: int) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)

        self.console = self.console or Console(stderr=True)
        self.total, self.done, self.t0 = total, 0, time.monotonic()
        self.shown = {}
        self.bar = Progress(
            TextColumn("[bold]pathx run"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} files/s"), TextColumn("ETA"), TimeRemainingColumn(),
            TextColumn("{task.fields[last]}"), console=self.console, transient=False,
        )
        self.bar.start()
        self.task = self.bar.add_task("run", total=total, rate="-", last="")
        if unchanged:
            self.console.print(f"{unchanged} unchanged file(s) skipped", markup=False, highlight=False)

    def tick(self, o: Outcome) -> None:
        from rich.markup import escape

        rate, _ = self._count()
        self.bar.update(self.task, advance=1, rate=f"{rate:.2f}", last=escape(o.file[-40:]))  # no markup
        self.shown[id(o)] = self._shown(o)
        if o.status != "ok":
            self.console.print(self._what(o), markup=False, highlight=False)

    def advance(self, o: Outcome) -> None:
        if self.shown.pop(id(o), None) != self._shown(o):
            self.console.print(self._what(o), markup=False, highlight=False)

    def note(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text, markup=False, highlight=False)
        else:
            super().note(text)

    def close(self) -> None:
        if getattr(self, "bar", None) is not None:
            self.bar.stop()
            self.bar = None

    def finish(self, s: RunSummary) -> None:
        self.close()
        if self.console is not None:
            self.console.print(f"pathx run: {s.message}", markup=False, highlight=False)
        else:
            super().finish(s)


def make_progress(mode: str, console) -> Progress:
    if mode == "auto":  # a person at a terminal gets a bar; cron and log files get lines
        tty = console.is_terminal if console is not None else sys.stderr.isatty()
        mode = "rich" if tty else "plain"
    return {"rich": RichProgress, "plain": PlainProgress, "quiet": Progress}[mode](console)


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
