"""Fit progress: a rich progress bar on a TTY, plain log lines (cron, files) otherwise."""
from __future__ import annotations

import sys
import time


class Progress:
    """Rich progress bar on a TTY; plain log lines (cron, files) otherwise."""

    def __init__(self, total: int, start_step: int, log_every: int | None, stream=None):
        self.total, self.start_step = total, start_step
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self.log_every = log_every or max(1, total // 50)
        self.bar = None
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("fit"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(), console=Console(file=self.stream),
            )
            self.bar.start()
            self.task = self.bar.add_task("fit", total=total, completed=start_step, info="")

    def update(self, step: int, epoch: int, loss: float, lr: float, tokens_per_s: float) -> None:
        done = step - self.start_step
        eta = (time.perf_counter() - self.t0) / max(done, 1) * (self.total - step)
        info = f"epoch {epoch + 1} loss {loss:.4f} lr {lr:.2e} {tokens_per_s:,.0f} tok/s"
        if self.bar is not None:
            self.bar.update(self.task, completed=step, info=info)
        elif step % self.log_every == 0 or step == self.total:
            print(f"step {step}/{self.total} {info} eta {time.strftime('%H:%M:%S', time.gmtime(eta))}",
                  file=self.stream, flush=True)

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.console.print(text)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
