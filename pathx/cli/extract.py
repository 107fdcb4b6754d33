"""`pathx extract`: the ingestion of each file and specimen, as the model sees it (pathx.run.extract)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from pathx.cli.errors import command_errors
from pathx.cli.options import K_OPTION, OCR_OPTION, SLICE_OPTION


@click.command()
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file to write.")
@OCR_OPTION
@SLICE_OPTION
@K_OPTION
@click.option("--hints/--no-hints", default=True, show_default=True, help="Fill the prompt's Hints block from the rule engine.")
@command_errors()
def extract(input_path: Path, output: Path, ocr: str, slice_mode: str, k: int, hints: bool) -> None:
    """Show ingestion per file and specimen: de-identified text, slice, prompt, extraction path.

    The registrar's debugging tool when a row looks wrong. Text is de-identified before it is written.
    Exit 3 when some file could not be read (its line has status "error").
    """
    from pathx.ingestion.pipeline import IngestOptions
    from pathx.run.extract import extract_to_jsonl

    options = IngestOptions(ocr=ocr, slice_mode=slice_mode, k=k)  # a bad value: usage error, exit 2
    engine = None
    if hints:
        from pathx.rules.engine import RuleEngine

        engine = RuleEngine.load()
    summary = extract_to_jsonl(input_path, output, engine, options, progress=lambda line: click.echo(line, err=True))
    sys.exit(3 if summary.failed else 0)
