"""`pathx demo`: a synthetic corpus (pathxgen) to try pathx on, with gold labels."""
from __future__ import annotations

from pathlib import Path

import click

from pathx.cli.errors import command_errors


@click.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--n", "n", type=int, default=40, show_default=True, help="Number of reports.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--scanned/--no-scanned", default=True, show_default=True, help="Include image-only (scanned) PDFs.")
@command_errors()
def demo(outdir: Path, n: int, seed: int, scanned: bool) -> None:
    """Write synthetic breast pathology reports (txt, PDF, scanned PDF) and their gold labels.

    The reports carry planted, fake PHI so de-identification can be seen working. OUTDIR/gold.jsonl holds
    the true labels in the labelled-data format (usable by `pathx fit` and `pathx eval`).
    """
    import importlib.util

    if importlib.util.find_spec("reportlab") is None:  # the generator writes PDFs with reportlab: the `demo` extra
        raise click.UsageError("pathx demo writes PDFs with reportlab, which is not installed: pip install 'pathx[demo]'")
    from pathxgen import corpus

    formats = ("txt", "pdf", "scanned") if scanned else ("txt", "pdf")
    rows = corpus.generate(outdir, n, seed=seed, formats=formats)
    click.echo(f"wrote {n} reports ({len(rows)} specimens) and gold.jsonl to {outdir}")
