"""Checkpoints: written atomically, read safely, checked against the model they are loaded into.

A checkpoint is a plain dict of tensors and Python values, loaded with ``torch.load(weights_only=True)``
(no arbitrary code runs on load). It is first written to a temporary file in the same folder, flushed to disk,
then renamed over the target: a run killed mid-write leaves the previous checkpoint intact.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from mlkit.meta import MetaLearner, build_meta_learner

FORMAT = "mlkit-checkpoint/1"


def save_checkpoint(path: str | Path, meta: MetaLearner, **state: Any) -> Path:
    """Write ``meta``'s config and weights plus any extra ``state`` (optimiser, step, history...) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = {name: tensor.detach().cpu() for name, tensor in meta.state_dict().items()}  # loads anywhere
    payload = {"format": FORMAT, "config": meta.config(), "model": model, **state}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes owner-only files; a checkpoint is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and validate a checkpoint file (no model needed)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint path does not exist: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated, not a torch file, or unsafe content
        raise ValueError(f"checkpoint {path} could not be read ({type(error).__name__}: {error})") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path} is not an mlkit checkpoint (expected format {FORMAT!r})")
    return payload


def check_compatible(payload: dict[str, Any], meta: MetaLearner, path: str | Path = "checkpoint") -> None:
    """Raise if the checkpoint was written by a different method or architecture than ``meta``."""
    found, expected = payload["config"], meta.config()
    if found.get("method") != expected["method"] or found.get("learner") != expected["learner"]:
        raise ValueError(
            f"{path} holds a {found.get('method')!r} model with learner {found.get('learner')}, "
            f"but it is being loaded into a {expected['method']!r} model with learner {expected['learner']}"
        )


def load_into(path: str | Path, meta: MetaLearner) -> dict[str, Any]:
    """Load weights into an existing meta-learner after checking it is the same model; returns the payload."""
    payload = read_checkpoint(path)
    check_compatible(payload, meta, path)
    meta.load_state_dict(payload["model"])
    return payload


def load_meta_learner(path: str | Path) -> MetaLearner:
    """Rebuild the meta-learner stored in a checkpoint, weights included."""
    payload = read_checkpoint(path)
    meta = build_meta_learner(payload["config"])
    meta.load_state_dict(payload["model"])
    return meta
