#!/usr/bin/env bash
# Train the shipped default bundles on this 2-core CPU machine (about two hours in all).
# Resumable: rerun the same command after a kill and each fit continues from its checkpoint.
#   nohup bash bench/train_default.sh > work/train.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
PX=.venv/bin/pathx
[ -f work/data/train.jsonl ] || .venv/bin/python bench/data.py --out work/data

fit() {  # fit NAME ARGS...: fresh, or --resume when a checkpoint is there; skip when finished
  local out=work/runs/$1; shift
  if [ -f "$out/metrics.json" ]; then echo "$out: done"; return; fi
  local resume=(); [ -d "$out/checkpoint" ] && resume=(--resume)
  $PX fit work/data/train.jsonl -o "$out" "$@" "${resume[@]}" --checkpoint-every 20
}

# The recipes are recipes/NAME.toml (`pathx fit --help` lists them); each run's output folder is named after it.
# minilm-prior (the default recipe, bundles/minilm-prior-0.2.0): MiniLM + LoRA, per-task pooling, rule values
# in the hints and a rule prior on the logits: ~30 min.
fit minilm-prior --recipe minilm-prior
# The same without the rule prior (bundles/minilm-values-0.1.0): ~35 min.
fit minilm-values --recipe minilm-values
# SmolLM2-135M-Instruct + LoRA, same input: 100 steps, ~50 min.
fit smollm2-values --recipe smollm2-values
echo "all fits done"
