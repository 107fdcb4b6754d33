"""Reading a bundle: the file is read once, checked once, and handed on as one `Bundle`.

    read_metadata(path)     header only, no torch, no integrity check (listing, `pathx run` start)
    open_bundle(path)       the whole file, read once: safetensors only (a pickle or torch.save
                            zip is refused before anything is deserialised), format, content hash
    fit_dir_bundle(folder)  the same object for a `pathx fit` output folder (eval before export)
    load_model(bundle, base, device)  the MultiTaskClassifier the checked bundle describes

Integrity: `content_sha256` covers every tensor (name, dtype, shape, bytes) and the metadata JSON;
a modified or damaged file raises BundleError ("content hash mismatch") and nothing is loaded.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pathx.bundle.files import header_of, read_header
from pathx.errors import PathxError

FORMAT = "pathx-bundle-1"
META_KEY = "pathx"  # JSON of all metadata
HASH_KEY = "content_sha256"


class BundleError(PathxError):
    """A bundle cannot be exported, verified or loaded; the message names the file and cause."""


def content_sha256(tensors: dict, meta_json: str) -> str:
    """sha256 over the metadata JSON and each tensor's name, dtype, shape and raw bytes, by name."""
    import torch

    h = hashlib.sha256(meta_json.encode("utf-8"))
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _refuse_non_safetensors(path: Path, head: bytes) -> None:
    if len(head) >= 9 and head[8:9] == b"{":  # 8-byte header length, then the JSON header
        return
    if head[:2] == b"PK" or head[:1] == b"\x80":  # torch.save zip / pickle protocol 2+
        raise BundleError(f"{path}: is a pickle / torch.save file; pathx loads only safetensors bundles (never pickles)")
    raise BundleError(f"{path}: not a safetensors file")


def _metadata(path: Path, header_reader) -> tuple[dict, str, str | None]:
    """(metadata, its JSON as stored, stored content hash) from a header reader."""
    try:
        meta = header_reader().get("__metadata__") or {}
        meta_json = meta[META_KEY]
        info = json.loads(meta_json)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise BundleError(f"{path}: not a pathx bundle (no readable metadata: {type(err).__name__})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        got = info.get("format") if isinstance(info, dict) else None
        raise BundleError(f"{path}: bundle format {got!r} is not {FORMAT}")
    return info, meta_json, meta.get(HASH_KEY)


def _no_file(path: Path) -> BundleError:
    return BundleError(f"{path}: no such bundle file")


def read_metadata(path: str | Path) -> dict:
    """Bundle metadata from the header alone (fast; no tensors read, no integrity check), with the
    stored content hash under HASH_KEY."""
    path = Path(path)
    if not path.is_file():
        raise _no_file(path)
    with path.open("rb") as fh:
        _refuse_non_safetensors(path, fh.read(16))
    info, _, stored = _metadata(path, lambda: read_header(path))
    info[HASH_KEY] = stored
    return info


@dataclass(frozen=True)
class Bundle:
    """A bundle (or fit folder) whose content hash matched: metadata, tensors, identity."""

    path: Path
    info: dict  # the metadata (content hash not included)
    content_sha256: str
    tensors: dict = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.info['name']}-{self.info['version']}"

    @property
    def key(self) -> str:
        """The ledger key: a new bundle content reprocesses files, a copied file does not."""
        return f"{self.name}+{self.content_sha256[:12]}"

    @property
    def merged(self) -> bool:
        return bool(self.info.get("merged"))

    def model_config(self):
        """The checked ModelConfig the bundle describes; BundleError when it does not check."""
        from pathx.model.config import ModelConfig

        try:
            return ModelConfig.from_dict(self.info["model"])
        except (PathxError, ValueError, KeyError, TypeError) as err:
            raise BundleError(f"{self.path}: bad model config ({type(err).__name__}: {err})") from None


def open_bundle(path: str | Path) -> Bundle:
    """Read a bundle file once and verify it (format, content hash); see the module docstring."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    path = Path(path)
    if not path.is_file():
        raise _no_file(path)
    data = path.read_bytes()
    _refuse_non_safetensors(path, data[:16])
    info, meta_json, stored = _metadata(path, lambda: header_of(data))
    try:
        tensors = load(data)
    except (SafetensorError, ValueError) as err:
        raise BundleError(f"{path}: damaged bundle ({type(err).__name__})") from None
    if not stored or content_sha256(tensors, meta_json) != stored:
        raise BundleError(f"{path}: content hash mismatch; the file was modified or damaged, refusing to load")
    return Bundle(path, info, stored, tensors)


def fit_dir_bundle(fit_dir: str | Path) -> Bundle:
    """A `pathx fit` output folder as a Bundle (name = folder name, version 0.0.0-dev); its
    content hash is over the metadata only (a fit folder carries no stored hash)."""
    from safetensors.torch import load_file

    from pathx.bundle.export import fit_dir_info
    from pathx.model.config import WEIGHTS_FILE

    fit_dir = Path(fit_dir)
    info = fit_dir_info(fit_dir, name=fit_dir.name, version="0.0.0-dev")
    weights = fit_dir / WEIGHTS_FILE
    if not weights.exists():
        raise PathxError(f"{weights}: missing")
    content_hash = hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()
    return Bundle(fit_dir, info, content_hash, load_file(str(weights)))


def load_model(bundle: Bundle, base: str | None = None, device: str = "auto"):
    """The MultiTaskClassifier a checked bundle describes, with its trained tensors, in eval mode.
    A base whose weights do not hash to the bundle's raises BundleError ("wrong base model")."""
    from pathx.model.backbones import BaseModelError
    from pathx.model.build import build_from_config

    if bundle.merged:
        return _load_merged(bundle, device)
    try:
        model = build_from_config(bundle.model_config(), base=base, device=device)
    except BaseModelError as err:
        raise BundleError(f"{bundle.path}: wrong base model: {err}") from None
    try:
        model.load_trainable_state_dict(bundle.tensors)
    except (PathxError, KeyError, RuntimeError, ValueError) as err:
        raise BundleError(f"{bundle.path}: tensors do not fit the model it describes ({type(err).__name__})") from None
    model.eval()
    return model


def _load_merged(bundle: Bundle, device: str):
    """Rebuild a merged bundle from its embedded base config and tokenizer (no base model needed)."""
    import tempfile

    from safetensors.torch import save_file

    from pathx.model import adapters
    from pathx.model.backbones import BaseModel, family_of
    from pathx.model.build import assemble
    from pathx.model.config import NORM_BUFFERS

    info, tensors, path = bundle.info, bundle.tensors, bundle.path
    config = bundle.model_config()
    config.adapter = adapters.FrozenAdapter().to_dict()  # LoRA is already folded into the weights
    tmp = Path(tempfile.mkdtemp(prefix="pathx-merged-"))
    (tmp / "config.json").write_text(info["base_config"], encoding="utf-8")
    for name, text in info["tokenizer_files"].items():
        (tmp / Path(name).name).write_text(text, encoding="utf-8")
    save_file(_part(tensors, "backbone."), str(tmp / "model.safetensors"))
    hf = json.loads(info["base_config"])
    base = BaseModel(name=str(path), path=tmp, source=path, family=family_of(hf, path),
                     model_type=str(hf.get("model_type", "")), sha256=info["model"]["base"]["sha256"])
    model = assemble(base, config, device, seed=0)
    model.heads.load_state_dict(_part(tensors, "heads."))
    model.rule_priors.load_state_dict(_part(tensors, "rule_priors."))
    for k in NORM_BUFFERS:
        getattr(model, k).copy_(tensors[f"norm.{k}"])
    model.eval()
    return model


def _part(tensors: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
