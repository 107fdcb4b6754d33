"""`pathx audit ...`: read the per-run audit logs (pathx.run.audit).

Where a run's log is: the user log directory (paths.log_dir), the file `--audit` named, or, when the
user log directory could not be written (HOME unset or read-only: pathx.run.opening.open_audit), the
fallback `.pathx-log/` beside the run's output. `audit show` looks in all of them (`locate_audit`).
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from pathx.cli.errors import EXIT_INPUT, CommandError, command_errors

FALLBACK_DIR = ".pathx-log"  # beside the output (pathx.run.opening.open_audit)
RUN_LOGS = "run-*.jsonl"


@click.group()
def audit() -> None:
    """Read the per-run audit logs (JSONL; no report text, no PHI)."""


@audit.command("show")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--run-id", default=None, help="Which run in PATH; default: the newest.")
@command_errors()
def audit_show(path: Path | None, run_id: str | None) -> None:
    """Summarise a run: files, statuses, extraction paths, errors, timings.

    PATH is an audit file or a folder of them; or a run's output (out.csv: its newest run, found in the
    user log directory or in the .pathx-log/ fallback beside it) or the output's folder (its .pathx-log/).
    Default: the newest run in the user log directory or in ./.pathx-log/ (where a run that could not
    write the user log directory, HOME unset or read-only, wrote its log).
    """
    from pathx.run.audit import audit_summary

    try:
        click.echo(audit_summary(locate_audit(path), run_id).render())
    except (OSError, ValueError) as err:  # no log there, or one that is not an audit log: the input, not the machine
        raise CommandError(err, EXIT_INPUT) from None


def locate_audit(path: Path | None) -> Path:
    """The audit file `audit show PATH` reads (see its help); FileNotFoundError naming where it looked."""
    from pathx import paths

    if path is None:
        places = [paths.log_dir(), Path.cwd() / FALLBACK_DIR]
        return _newest(places, lambda log: True, "no pathx run audit logs in "
                       + " or ".join(str(p) for p in places) + "; pass an audit file or a run's output")
    if path.is_dir():
        places = [path, path / FALLBACK_DIR]
        return _newest(places, lambda log: True, f"no pathx run audit logs in {path} or {path / FALLBACK_DIR}")
    if _is_audit_log(path):
        return path
    output = str(path.resolve())
    places = [paths.log_dir(), path.parent / FALLBACK_DIR]
    return _newest(places, lambda log: _start(log).get("output") == output,
                   f"{path} is not an audit log, and no run that wrote it has one in "
                   + " or ".join(str(p) for p in places))


def _newest(places: list[Path], wanted, missing: str) -> Path:
    """The newest run log in `places` that `wanted` accepts."""
    logs = [log for place in places if place.is_dir() for log in place.glob(RUN_LOGS) if log.is_file()]
    for log in sorted(logs, key=lambda p: (p.stat().st_mtime, p.name), reverse=True):
        if wanted(log):
            return log
    raise FileNotFoundError(missing)


def _start(log: Path) -> dict:
    """A run log's first record (its `start`), or {} when it has none that reads."""
    try:
        with log.open(encoding="utf-8", errors="replace") as fh:
            record = json.loads(fh.readline(1 << 20))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _is_audit_log(path: Path) -> bool:
    """Whether `path` is a pathx audit log (its first record has an event and a run id), not a run output."""
    record = _start(path)
    return "event" in record and "run_id" in record
