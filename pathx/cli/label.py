"""`pathx label`: bootstrap labels with the rule engine (rules.bootstrap)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from pathx.cli.errors import command_errors
from pathx.cli.options import OCR_OPTION


@click.command()
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Labelled JSONL to write.")
@OCR_OPTION
@click.option("--audit-n", type=int, default=50, show_default=True, help="Specimens in the manual-review sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the review sample.")
@command_errors()
def label(input_path: Path, output: Path, ocr: str, audit_n: int, seed: int) -> None:
    """Bootstrap labels for unlabelled reports with the rule engine (the paper's S1.A loop).

    INPUT_PATH is a folder of .pdf/.txt reports, one file, or a .jsonl with {"id", "text"} per line.

    \b
    Writes OUTPUT (labelled-data JSONL, de-identified text inline, ready for `pathx fit`) and beside it:
      OUTPUT.coverage.txt  which fields found no value, grouped by cause (Coverage Loop)
      OUTPUT.audit.csv     a random sample of specimens with evidence, to check by hand (Accuracy Loop)
    Exit 3 when some report could not be read.
    """
    from pathx.ingestion.pipeline import IngestOptions, reports_folder
    from pathx.rules.bootstrap import coverage_text, label_folder
    from pathx.rules.engine import RuleEngine

    options = IngestOptions(ocr=ocr)
    engine = RuleEngine.load()
    input_errors: list[tuple[str, str]] = []
    with reports_folder(input_path, output.parent, input_errors) as folder:
        for _key, message in input_errors:
            click.echo(f"pathx label: skipped {message}", err=True)
        report = label_folder(folder, output, engine, options, audit_n=audit_n, seed=seed)
    click.echo(coverage_text(report), nl=False)
    click.echo(f"wrote {report.units} labelled specimen(s) to {output}")
    sys.exit(3 if report.file_errors else 0)
