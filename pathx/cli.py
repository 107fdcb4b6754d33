"""pathx command line. Only parses options and calls the library; see `pathx COMMAND --help`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

import pathx
from pathx import schema
from pathx.errors import PathxError

EXIT_USAGE = 2

OCR_OPTION = click.option(
    "--ocr",
    type=click.Choice(["auto", "tesseract", "easyocr", "off"]),
    default="auto",
    show_default=True,
    help="OCR for PDF pages without a usable text layer. auto = Tesseract if installed, else EasyOCR.",
)
SLICE_OPTION = click.option(
    "--slice",
    "slice_mode",
    type=click.Choice(["window", "full", "random"]),
    default="window",
    show_default=True,
    help="Model input: +/-K lines around anchor headers (window), whole text (full), or a random window.",
)
K_OPTION = click.option("-k", "k", type=int, default=5, show_default=True, help="Lines kept around each anchor header.")


def _ingest_options(ocr: str, slice_mode: str, k: int):
    from pathx.pipeline import IngestOptions

    return IngestOptions(ocr=ocr, slice_mode=slice_mode, k=k)


def _fail(err: Exception) -> None:
    click.echo(f"pathx: error: {err}", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(pathx.__version__, prog_name="pathx")
def main() -> None:
    """pathx: breast pathology reports (PDF, scanned PDF, text) -> T/N/M stage, grade, ER, PR, HER2.

    \b
    Typical use:
      pathx demo samples/                  write synthetic sample reports (with gold labels)
      pathx run samples/ -o out.csv        one row per tumour specimen (CSV or .jsonl)
      pathx extract samples/ -o texts.jsonl    see what the model sees: de-identified text, slice, prompt
      pathx label reports/ -o labeled.jsonl    bootstrap labels with the rule engine
      pathx fit labeled.jsonl -o runs/mymodel  train a multi-task LoRA model
      pathx bundle export runs/mymodel -o bundles/mymodel-1.0.0.safetensors

    Everything runs offline; no report text or PHI is ever written to logs.
    """


@main.command()
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file to write.")
@OCR_OPTION
@SLICE_OPTION
@K_OPTION
@click.option("--hints/--no-hints", default=True, show_default=True, help="Fill the prompt's Hints block from the rule engine.")
def extract(input_path: Path, output: Path, ocr: str, slice_mode: str, k: int, hints: bool) -> None:
    """Show ingestion per file and specimen: de-identified text, slice, prompt, extraction path.

    The registrar's debugging tool when a row looks wrong. Text is de-identified before it is written.
    """
    from pathx.pipeline import discover, extract_file

    engine = None
    if hints:
        from pathx.ruleengine import RuleEngine

        engine = RuleEngine.load()
    options = _ingest_options(ocr, slice_mode, k)
    root = input_path if input_path.is_dir() else input_path.parent
    files = discover(input_path)
    failed = 0
    with output.open("w", encoding="utf-8") as fh:
        for i, path in enumerate(files, 1):
            res = extract_file(path, root, engine, options)
            base = {"file": res.file, "method": res.method, "pages": res.pages, "warnings": res.warnings}
            if res.error:
                failed += 1
                fh.write(json.dumps({**base, "specimen": None, "status": "error", "error": res.error}) + "\n")
                click.echo(f"[{i}/{len(files)}] {res.error}", err=True)
                continue
            for u in res.units:
                fh.write(
                    json.dumps(
                        {**base, "specimen": u.specimen, "status": "ok", "text": u.text, "slice": u.sliced,
                         "prompt": u.prompt, "hints": u.hints}
                    )
                    + "\n"
                )
            click.echo(f"[{i}/{len(files)}] {res.file}: {len(res.units)} specimen(s) via {res.method}", err=True)
    sys.exit(3 if failed else 0)


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--n", "n", type=int, default=40, show_default=True, help="Number of reports.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--scanned/--no-scanned", default=True, show_default=True, help="Include image-only (scanned) PDFs.")
def demo(outdir: Path, n: int, seed: int, scanned: bool) -> None:
    """Write synthetic breast pathology reports (txt, PDF, scanned PDF) and their gold labels.

    The reports carry planted, fake PHI so de-identification can be seen working. OUTDIR/gold.jsonl holds
    the true labels in the labelled-data format (usable by `pathx fit` and `pathx eval`).
    """
    from pathx import corpus

    formats = ("txt", "pdf", "scanned") if scanned else ("txt", "pdf")
    rows = corpus.generate(outdir, n, seed=seed, formats=formats)
    click.echo(f"wrote {n} reports ({len(rows)} specimens) and gold.jsonl to {outdir}")


@main.command()
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Output file; .csv or .jsonl (JSONL adds the rule engine's evidence per field).")
@click.option("--engine", type=click.Choice(["auto", "model", "rules", "naive"]), default="auto", show_default=True,
              help="model = a trained bundle; rules = the rule engine; naive = the paper's regex baseline; "
                   "auto = the default bundle when one is installed, else rules.")
@click.option("--bundle", "bundle", type=click.Path(path_type=Path), default=None,
              help="Bundle file (.safetensors) for --engine model; default: the best shipped bundle.")
@click.option("--base", type=click.Path(path_type=Path), default=None,
              help="Base model path for a bundle whose base is not a shipped one.")
@click.option("--device", default=None, help="cpu, cuda, cuda:1 ...; default: GPU when present.")
@OCR_OPTION
@click.option("--reprocess", is_flag=True, help="Process every file again, even ones the ledger has seen.")
@click.option("--audit", "audit_path", type=click.Path(path_type=Path), default=None,
              help="Audit log (JSONL) path; default: a new file in the user log directory.")
@click.option("--batch-size", type=int, default=8, show_default=True, help="Files per batch (and per output flush).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def run(input_path, output, engine, bundle, base, device, ocr, reprocess, audit_path, batch_size, quiet):
    """Extract T/N/M, grade, ER, PR, HER2 from every report under INPUT_PATH into OUTPUT.

    \b
    One row per (file, specimen). Incremental: files already in the ledger beside OUTPUT with the
    same content and bundle are skipped, changed files are replaced. Safe to kill and rerun.
    \b
    Exit codes: 0 all ok, 2 usage error, 3 some files failed (see their error rows),
    4 interrupted (SIGINT/SIGTERM; rerun to continue), 75 another run holds OUTPUT's lock.
    """
    from pathx.pipeline import IngestOptions
    from pathx.predict import make_predictor
    from pathx.run import run_folder

    if output.suffix.lower() not in (".csv", ".jsonl"):
        raise click.UsageError(f"{output}: output must end in .csv or .jsonl")
    try:
        predictor = make_predictor(engine, bundle=bundle, base=base, device=device)
    except PathxError as err:
        _fail(err)
    options = IngestOptions(ocr=ocr)
    if getattr(predictor, "slicing", None):
        options.slice_mode, options.k = predictor.slicing["mode"], predictor.slicing["k"]
    summary = run_folder(input_path, output, predictor, options=options, reprocess=reprocess,
                         audit_path=audit_path, progress="quiet" if quiet else "auto", batch_size=batch_size)
    sys.exit(summary.exit_code)


@main.command()
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Labelled JSONL to write.")
@OCR_OPTION
@click.option("--audit-n", type=int, default=50, show_default=True, help="Specimens in the manual-review sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the review sample.")
def label(input_path: Path, output: Path, ocr: str, audit_n: int, seed: int) -> None:
    """Bootstrap labels for unlabelled reports with the rule engine (the paper's S1.A loop).

    \b
    Writes OUTPUT (labelled-data JSONL, de-identified text inline, ready for `pathx fit`) and beside it:
      OUTPUT.coverage.txt  which fields found no value, grouped by cause (Coverage Loop)
      OUTPUT.audit.csv     a random sample of specimens with evidence, to check by hand (Accuracy Loop)
    """
    from pathx.label import coverage_text, label_folder
    from pathx.pipeline import IngestOptions
    from pathx.ruleengine import RuleEngine

    try:
        engine = RuleEngine.load()
    except PathxError as err:
        _fail(err)
    report = label_folder(input_path, output, engine, IngestOptions(ocr=ocr), audit_n=audit_n, seed=seed)
    click.echo(coverage_text(report), nl=False)
    click.echo(f"wrote {report.units} labelled specimen(s) to {output}")
    sys.exit(3 if report.file_errors else 0)


@main.group()
def audit() -> None:
    """Read the per-run audit logs (JSONL; no report text, no PHI)."""


@audit.command("show")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--run-id", default=None, help="Which run in PATH; default: the newest.")
def audit_show(path: Path | None, run_id: str | None) -> None:
    """Summarise a run: files, statuses, extraction paths, errors, timings.

    PATH is an audit file or folder; default: the newest run in the user log directory.
    """
    from pathx.audit import audit_summary

    try:
        click.echo(audit_summary(path, run_id).render())
    except (PathxError, OSError, ValueError) as err:
        _fail(err)


if __name__ == "__main__":
    main()
