"""`pathx review` and `pathx review-import`: the review loop of issue 16 on the command line.

    pathx review OUTPUT [--html PATH] [--sheet PATH] [--force]
        run output -> HTML review page + CSV review sheet (pathx.review.page.write_review)
    pathx review-import SHEET --input INPUT [--from OUTPUT] -o corrections.jsonl [--force]
        filled sheet -> labelled data for `pathx fit` (pathx.review.sheet.import_sheet)

Two commands rather than a `review` group with an `import` subcommand: a click group cannot also take
its own OUTPUT argument. Neither command replaces a person's work without --force: `review` keeps a
sheet with filled correct_value/note cells, `review-import` an existing -o. Refusals are usage errors
(exit 2, one line); everything else goes through the one wrapper (cli.errors).
"""
from __future__ import annotations

from pathlib import Path

import click

from pathx.cli.errors import CommandError, command_errors, fail
from pathx.review.page import REVIEW_HELP
from pathx.review.sheet import IMPORT_HELP
from pathx.run.faults import EXIT_FAILED, EXIT_USAGE


@click.command("review", help=REVIEW_HELP)
@click.argument("output", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Review page to write (default: OUTPUT.review.html beside OUTPUT).")
@click.option("--sheet", "sheet_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Review sheet to write (default: OUTPUT.review.csv beside OUTPUT).")
@click.option("--force", is_flag=True, help="Replace a sheet that already holds filled correct_value or note cells.")
@command_errors()
def review(output: Path, html_path: Path | None, sheet_path: Path | None, force: bool) -> None:
    from pathx.review.page import default_paths, write_review

    default_html, default_sheet = default_paths(output)
    html_path, sheet_path = html_path or default_html, sheet_path or default_sheet
    _refuse_same(output, "OUTPUT", {"--html": html_path, "--sheet": sheet_path})
    if html_path.resolve() == sheet_path.resolve():
        raise CommandError("--html and --sheet name the same file", EXIT_USAGE)
    if sheet_path.exists() and not force:
        _keep_filled_sheet(sheet_path)
    rows = _read_output(output)
    summary = write_review(rows, html_path, sheet_path, source_name=output.name)
    click.echo(summary_line(summary, html_path, sheet_path))


def summary_line(summary, html_path: Path, sheet_path: Path) -> str:
    """One console line: flagged fields per field, error rows, where the page and sheet went."""
    per_field = ", ".join(f"{t} {n}" for t, n in summary.flagged_fields.items() if n)
    flagged = (f"{summary.total_flagged} flagged field(s) in {summary.flagged_rows} of {summary.ok_rows} ok row(s) "
               f"({per_field})" if summary.total_flagged else f"no flagged field in {summary.ok_rows} ok row(s)")
    whole = summary.error_rows + summary.unnamed_rows
    others = f"; {whole} row(s) to check as a whole (errors: {summary.error_rows})" if whole else ""
    return f"review: {flagged}{others}; page {html_path}, sheet {sheet_path}"


@click.command("review-import", help=IMPORT_HELP)
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--input", "input_root", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="The folder `pathx run` read (the sheet's file names are relative to it).")
@click.option("--from", "source", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The run output the sheet came from: fields not on the sheet take its accepted values.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Labelled-data JSONL to write (for `pathx fit`).")
@click.option("--force", is_flag=True, help="Replace an existing OUTPUT.")
@command_errors()
def review_import(sheet: Path, input_root: Path, source: Path | None, output: Path, force: bool) -> None:
    from pathx.review.sheet import import_sheet

    _refuse_same(output, "-o", {"SHEET": sheet, "--from": source})
    if output.exists() and not force:
        raise CommandError(f"{output} exists; use --force to replace it", EXIT_USAGE)
    if source is not None:
        _check_suffix(source, "--from")
    report = import_sheet(sheet, output, input_root=input_root, source_output=source)
    click.echo(report.text(), nl=False)
    if report.invalid:  # the list is above; stderr gets the one error line a cron mail shows
        fail(f"{sheet}: {len(report.invalid)} sheet line(s) skipped, the rest imported; first: {report.invalid[0]}",
             EXIT_FAILED)


def _refuse_same(path: Path, name: str, others: dict[str, Path | None]) -> None:
    """A usage error when `path` is one of `others` (writing it would destroy an input)."""
    for other_name, other in others.items():
        if other is not None and path.resolve() == other.resolve():
            raise CommandError(f"{name} and {other_name} name the same file: {path}", EXIT_USAGE)


def _keep_filled_sheet(sheet_path: Path) -> None:
    """Refuse (exit 2) to replace a sheet a person has filled, or a file that is no review sheet."""
    from pathx.errors import DataError
    from pathx.review.sheet import filled_lines

    try:
        filled = filled_lines(sheet_path)
    except DataError:
        raise CommandError(f"{sheet_path} exists and is not a review sheet; use --force to replace it",
                           EXIT_USAGE) from None
    if filled:
        raise CommandError(f"{sheet_path} holds {filled} filled line(s) (correct_value or note): import it with "
                           f"`pathx review-import` first, or use --force to replace it", EXIT_USAGE)


def _check_suffix(path: Path, name: str) -> None:
    """A usage error naming the readable suffixes when `path` is not a run output pathx can read back."""
    from pathx.outputs.writer import UnknownSuffix, writer_for

    try:
        writer_for(path)
    except UnknownSuffix as err:
        raise click.BadParameter(str(err), param_hint=f"'{name}'") from None


def _read_output(output: Path) -> list[dict]:
    """The run output's rows; DataError (exit 1) when it cannot be read or is not a pathx output."""
    from pathx.errors import DataError
    from pathx.outputs.rows import read_rows

    _check_suffix(output, "OUTPUT")
    try:
        rows = read_rows(output)
    except (UnicodeDecodeError, ValueError, SyntaxError) as err:  # SyntaxError: XML (.naaccr.xml)
        raise DataError(f"{output}: cannot read the run output ({type(err).__name__})") from None
    if any(not isinstance(r, dict) or "file" not in r or "status" not in r for r in rows):
        raise DataError(f"{output}: not a `pathx run` output (rows need file and status)")
    return rows
