"""Checkpoints of a running fit: tensors in safetensors, everything else in JSON (no pickles).

    out_dir/checkpoint/   trainable.safetensors   adapters + heads + norm buffers
                          best.safetensors        the best weights so far (when a validation ran)
                          optimizer.safetensors   optimizer state tensors + RNG states
                          state.json              TrainState, optimizer/scheduler scalars, fit config

A new checkpoint is written beside the old one and swapped in, so a kill leaves either
checkpoint/ or checkpoint.old/ complete; `load_checkpoint` reads whichever is.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import torch

from pathx.errors import PathxError
from pathx.training.config import TrainState

CHECKPOINT_DIR = "checkpoint"


def flatten_optimizer(sd: dict) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, state = {}, {}
    for pid, st in sd["state"].items():
        entry = {}
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"opt.{pid}.{k}"] = v.detach().to("cpu", copy=True).contiguous()
                entry[k] = {"tensor": f"opt.{pid}.{k}"}
            else:
                entry[k] = v
        state[str(pid)] = entry
    return tensors, {"state": state, "param_groups": sd["param_groups"]}


def unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state = {}
    for pid, entry in meta["state"].items():
        state[int(pid)] = {
            k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v for k, v in entry.items()
        }
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(out_dir: Path, model, optimizer, scheduler, state: TrainState, rng: dict, extra: dict,
                    best: dict[str, torch.Tensor] | None = None) -> None:
    from safetensors.torch import save_file

    final = out_dir / CHECKPOINT_DIR
    tmp = out_dir / (CHECKPOINT_DIR + ".tmp")
    old = out_dir / (CHECKPOINT_DIR + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(model.trainable_state_dict(), str(tmp / "trainable.safetensors"))
    if best is not None:  # the best weights so far belong to this state, not to a later one
        save_file(best, str(tmp / "best.safetensors"))
    opt_tensors, opt_meta = flatten_optimizer(optimizer.state_dict())
    opt_tensors.update({f"rng.{k}": v for k, v in rng.items()})
    save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
    sched = {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"}
    doc = {"state": asdict(state), "optimizer": opt_meta, "scheduler": sched, "rng": sorted(rng), **extra}
    (tmp / "state.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    # Swap in atomically enough: a kill leaves either checkpoint/ or checkpoint.old/ complete.
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(out_dir: Path) -> tuple[dict, dict, dict, dict | None] | None:
    """(state doc, trainable tensors, optimizer+rng tensors, best tensors or None)."""
    from safetensors.torch import load_file

    for name in (CHECKPOINT_DIR, CHECKPOINT_DIR + ".old"):
        d = out_dir / name
        if (d / "state.json").exists():
            try:
                doc = json.loads((d / "state.json").read_text(encoding="utf-8"))
                best = load_file(str(d / "best.safetensors")) if (d / "best.safetensors").exists() else None
                return doc, load_file(str(d / "trainable.safetensors")), load_file(str(d / "optimizer.safetensors")), best
            except (OSError, ValueError) as err:
                raise PathxError(f"{d}: checkpoint unreadable ({type(err).__name__})") from None
    return None


def rng_snapshot() -> dict[str, torch.Tensor]:
    rng = {"torch": torch.get_rng_state().clone()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state().clone()
    return rng


def rng_restore(tensors: dict[str, torch.Tensor]) -> None:
    if "rng.torch" in tensors:
        torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
