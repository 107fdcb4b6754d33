"""`pathx audit ...`: read the per-run audit logs (pathx.run.audit)."""
from __future__ import annotations

from pathlib import Path

import click

from pathx.cli.errors import EXIT_INPUT, CommandError, command_errors


@click.group()
def audit() -> None:
    """Read the per-run audit logs (JSONL; no report text, no PHI)."""


@audit.command("show")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--run-id", default=None, help="Which run in PATH; default: the newest.")
@command_errors()
def audit_show(path: Path | None, run_id: str | None) -> None:
    """Summarise a run: files, statuses, extraction paths, errors, timings.

    PATH is an audit file or folder; default: the newest run in the user log directory.
    """
    from pathx.run.audit import audit_summary

    try:
        click.echo(audit_summary(path, run_id).render())
    except (OSError, ValueError) as err:  # no log there, or one that is not an audit log: the input, not the machine
        raise CommandError(err, EXIT_INPUT) from None
