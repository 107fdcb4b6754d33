#!/usr/bin/env bash
# Structural changes must not change what `pathx run` writes. This runs `pathx run` with the code at
# BASE (a commit, default main) and with this working tree on the same inputs, for --engine rules and
# the default engine, to CSV and JSONL, and compares the files byte for byte (ledgers aside).
#
#   bash bench/same_output.sh [BASE] [INPUT...]
#
# Inputs default to a fresh `pathx demo` corpus, ../shared/data/tcga-brca-dev/reports and
# ../shared/data/tcga/tcga_pancancer_tnm.jsonl (where present). The default engine on the TCGA set
# takes most of the time (about 4 minutes a run on 2 busy cores). Exit 0 when everything is identical.
set -uo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD
BASE=${1:-main}
shift || true
PY=${PYTHON:-$HERE/.venv/bin/python}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pathx-same.XXXXXX")
git worktree add -q --detach "$TMP/base" "$BASE" || exit 2
trap 'git -C "$HERE" worktree remove --force "$TMP/base"; rm -rf "$TMP"' EXIT
export PATHX_CACHE_DIR="$TMP/cache"

px() {  # px base|head ARGS...: pathx from that tree, with its own config/data/log folders
  local tree=$HERE v=$1; shift
  [ "$v" = base ] && tree=$TMP/base
  PYTHONPATH=$tree PATHX_LOG_DIR=$TMP/$v/log PATHX_CONFIG_DIR=$TMP/$v/config PATHX_DATA_DIR=$TMP/$v/data \
    "$PY" -P -m pathx.cli "$@"  # -P: `-m` must not put the current folder (this tree) first on sys.path
}

status=0
for v in base head; do mkdir -p "$TMP/$v/out"; px $v demo "$TMP/$v/demo" >/dev/null || status=1; done
if diff -r "$TMP/base/demo" "$TMP/head/demo" >/dev/null; then echo "same demo corpus"; else echo "DIFFERENT demo corpus"; status=1; fi

INPUTS=("$@")
if [ ${#INPUTS[@]} -eq 0 ]; then
  INPUTS=("$TMP/base/demo")
  for p in ../shared/data/tcga-brca-dev/reports ../shared/data/tcga/tcga_pancancer_tnm.jsonl; do
    [ -e "$p" ] && INPUTS+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")")
  done
fi
i=0
for input in "${INPUTS[@]}"; do
  i=$((i + 1))
  for engine in rules auto; do
    for fmt in csv jsonl; do
      name="$i-$(basename "$input" | tr -c 'A-Za-z0-9._\n-' _)-$engine.$fmt"
      for v in base head; do
        px $v run "$input" -o "$TMP/$v/out/$name" --engine "$engine" --quiet >"$TMP/$v/out/$name.log" 2>&1
        echo "$?" >"$TMP/$v/out/$name.rc"
      done
      if cmp -s "$TMP/base/out/$name" "$TMP/head/out/$name" && cmp -s "$TMP/base/out/$name.rc" "$TMP/head/out/$name.rc"; then
        echo "same      $name ($(wc -l <"$TMP/head/out/$name") lines, exit $(cat "$TMP/head/out/$name.rc")) <- $input"
      else
        echo "DIFFERENT $name <- $input"; status=1
      fi
    done
  done
done
exit $status
