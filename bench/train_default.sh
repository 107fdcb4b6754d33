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
  $PX fit work/data/train.jsonl -o "$out" "$@" "${resume[@]}" --checkpoint-every 20 --eval-every 60
}

# all-MiniLM-L6-v2 + LoRA, per-task pooling, rule values in the hints and a rule prior on the
# logits (started at log P(label | rule value) on the training set): ~30 min.
fit minilm-prior --base minilm-l6-v2 --adapter lora --pooling task --hint-values --rule-prior --epochs 2 \
  --lr 2e-3 --micro-batch 4 --grad-accum 4 --max-length 512
# The same without the rule prior (bundles/minilm-values-0.1.0): ~35 min.
fit minilm-values --base minilm-l6-v2 --adapter lora --pooling task --hint-values --epochs 2 --lr 2e-3 \
  --micro-batch 4 --grad-accum 4 --max-length 512
# SmolLM2-135M-Instruct + LoRA (r=16, alpha=16, q/k/v/o), same input: 100 steps, ~50 min.
fit smollm2-values --base smollm2-135m-instruct --adapter lora --pooling task --hint-values --epochs 1 \
  --max-steps 100 --lr 1e-3 --micro-batch 4 --grad-accum 4 --max-length 512
echo "all fits done"
