"""`pathx bundle ...`: export, inspect, verify and list model bundles (pathx.bundle)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from pathx.cli.errors import CommandError, command_errors
from pathx.run.faults import EXIT_USAGE


@click.group()
def bundle() -> None:
    """Model bundles: one versioned .safetensors file (adapters + heads + metadata + rule set)."""


@bundle.command("export")
@click.argument("fit_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Bundle file, e.g. bundles/NAME-1.0.0.safetensors.")
@click.option("--name", default=None, help="Bundle name (default: the fit folder's name).")
@click.option("--version", "version", default="1.0.0", show_default=True, help="Semantic version.")
@click.option("--merge", is_flag=True, help="Also write NAME.merged.safetensors with LoRA folded into the base weights.")
@click.option("--force", is_flag=True, help="Replace an existing OUTPUT (and its merged copy).")
@command_errors()
def bundle_export(fit_dir: Path, output: Path, name: str | None, version: str, merge: bool, force: bool) -> None:
    """Write a bundle from a `pathx fit` output folder.

    An existing OUTPUT (or, with --merge, NAME.merged.safetensors) is not replaced without --force (exit 2):
    a bundle named in bundles/DEFAULT or by a cron line is never overwritten by a typo.
    """
    from pathx.bundle.core import export

    targets = [output] + ([output.with_name(output.stem + ".merged.safetensors")] if merge else [])
    for target in targets:
        if (target.exists() or target.is_symlink()) and not force:
            raise CommandError(f"{target} exists; use --force to replace it", EXIT_USAGE)
    path = export(fit_dir, output, name=name, version=version, merge=merge)
    click.echo(f"wrote {path}" + (" (and a merged copy)" if merge else ""))


@bundle.command("inspect")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="All metadata as JSON (rule files included).")
@command_errors()
def bundle_inspect(path: Path, as_json: bool) -> None:
    """Show a bundle's metadata: version, base model, tasks, adapter, slicing, metrics."""
    from pathx.bundle.core import read_metadata

    info = read_metadata(path)
    if as_json:
        click.echo(json.dumps(info, indent=1, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{path.name}", show_header=False)
    for k, v in metadata_rows(info):
        table.add_row(k, v)
    Console().print(table)


def metadata_rows(info: dict) -> list[tuple[str, str]]:
    """A bundle's metadata (bundle.core.read_metadata) as (what, value) lines for people."""
    m = info["model"]
    test = info.get("metrics", {}).get("test") or info.get("metrics", {}).get("val") or {}
    f1 = test.get("mean_macro_f1")
    return [
        ("name / version", f"{info['name']} {info['version']}"),
        ("created", info.get("created_at", "")),
        ("base model", f"{m['base']['name']} ({m['base']['family']}, sha256 {m['base']['sha256'][:16]}...)"),
        ("adapter", json.dumps(m["adapter"])),
        ("pooling / padding", f"{m['pooling']} / {m['padding_side']}, max length {m['max_length']}"),
        ("rule prior", "yes (logits + a table indexed by the rule value)" if m.get("rule_prior") else "no"),
        ("quantisation", str(m.get("quant") or "none")),
        ("tasks", ", ".join(info["tasks"])),
        ("slicing", json.dumps(info["slicing"])),
        ("rule set", (info.get("ruleset") or {}).get("version", "none")),
        ("review thresholds", ", ".join(f"{t} {v:.3f}" for t, v in info.get("thresholds", {}).items())),
        ("mean macro-F1", f"{f1:.3f} on {test.get('n')} examples" if f1 is not None else "-"),
        ("training data sha256", ((info.get("data") or {}).get("sha256") or "")[:16]),
        ("content sha256", (info.get("content_sha256") or "")[:16]),
        ("merged", "yes" if info.get("merged") else "no"),
    ]


@bundle.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--base", default=None, help="Also check this base model's weights hash against the bundle's.")
@command_errors()
def bundle_verify(path: Path, base: str | None) -> None:
    """Check a bundle's integrity (content hash) and, with --base or a shipped base, its base model.

    Exit 1 when the bundle is unreadable or fails a check (one line naming the file and the check).
    """
    from pathx.bundle.core import verify

    res = verify(path, base=base)
    click.echo(f"ok: {res.name} {res.version}, content sha256 {res.content_sha256[:16]}..., "
               f"base {'checked' if res.base_checked else 'not checked (pass --base)'}")


@bundle.command("list")
@command_errors()
def bundle_list() -> None:
    """Bundles shipped with pathx (bundles/ in a checkout) and in the user data directory."""
    from pathx.bundle.core import read_metadata
    from pathx.bundle.files import bundle_dirs, default_bundle, list_bundles
    from pathx.errors import PathxError

    default = default_bundle()
    found = list_bundles()
    if not found:
        click.echo("no bundles in " + ", ".join(str(d) for d in bundle_dirs()))
    for p in found:
        try:
            info = read_metadata(p)
            f1 = (info.get("metrics", {}).get("test") or {}).get("mean_macro_f1")
            desc = f"{info['name']} {info['version']}  base {info['model']['base']['name']}" + (
                f"  macro-F1 {f1:.3f}" if f1 is not None else "")
        except PathxError as err:
            desc = f"unreadable: {err}"
        click.echo(f"{'*' if default and p.resolve() == default.resolve() else ' '} {p}  {desc}")
