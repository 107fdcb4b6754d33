"""SIGINT/SIGTERM and the per-file budget (SIGALRM) of `pathx run`, and the crash test hook.

A first SIGINT/SIGTERM lets the run finish its batch (exit 4); a second SIGINT aborts at once (the
ledger is transactional). While a file is read, the signal abandons that file at once (StopNow),
and SIGALRM past `file_timeout` seconds abandons it with an error row (FileTimeout). Main thread
only: elsewhere no handler is installed and there is no per-file budget.
"""
from __future__ import annotations

import contextlib
import os
import signal

KILL_ENV = "PATHX_TEST_KILL_AT"  # test hook: "point:n" SIGKILLs this process the n-th time at point


class StopNow(BaseException):
    """Raised inside a file's reading by SIGINT/SIGTERM: the file is left for the next run.

    A BaseException, so no `except Exception` in a parser swallows it."""


class FileTimeout(BaseException):
    """Raised inside a file's reading when it runs past the per-file budget (SIGALRM)."""


class StopFlag:
    """SIGINT/SIGTERM set the flag (the run finishes its batch); a second SIGINT aborts at once.

    While a file is being read (`reading`), the signal also abandons that file at once
    (StopNow), so a slow or hostile file cannot keep cron's `timeout` waiting; it is read again
    on the next run. SIGALRM is the per-file budget (`file_timeout` seconds, 0 = none).
    """

    def __init__(self, file_timeout: float = 0.0):
        self.signum: int | None = None
        self.reading = False
        self.file_timeout = file_timeout
        self._old: dict = {}

    def install(self) -> None:
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
            if self.file_timeout > 0:
                self._old[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._alarm)
        except ValueError:  # not the main thread: a library caller handles signals itself
            self._old = {}
            self.file_timeout = 0.0  # SIGALRM cannot be used either

    def _handle(self, signum, frame) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # the ledger is transactional; aborting mid-batch is safe
        self.signum = signum
        if self.reading:
            self.reading = False
            raise StopNow

    def _alarm(self, signum, frame) -> None:
        if self.reading:
            self.reading = False
            raise FileTimeout

    @contextlib.contextmanager
    def file(self):
        """Around one file's reading: signals and the budget interrupt it."""
        if self.signum is not None:
            raise StopNow
        self.reading = True
        if self.file_timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, self.file_timeout)
        try:
            yield
        finally:
            self.reading = False
            if self.file_timeout > 0:
                signal.setitimer(signal.ITIMER_REAL, 0)

    def restore(self) -> None:
        if signal.SIGALRM in self._old:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in self._old.items():
            signal.signal(sig, handler)

    def __bool__(self) -> bool:
        return self.signum is not None


_kill_counts: dict[str, int] = {}


def kill_point(point: str) -> None:
    """Test hook: PATHX_TEST_KILL_AT=point:n SIGKILLs the process the n-th time it reaches point.

    Points: extract (a file is marked in flight, not yet read), commit (batch predicted, not
    committed), written (committed, output not rewritten), rows (output temp file half
    written), rename (temp file complete and synced, not renamed).
    """
    spec = os.environ.get(KILL_ENV)
    if not spec:
        return
    name, _, n = spec.partition(":")
    if name != point:
        return
    _kill_counts[point] = _kill_counts.get(point, 0) + 1
    if _kill_counts[point] == int(n or 1):
        os.kill(os.getpid(), signal.SIGKILL)
