"""Checkpoints: written atomically, read safely, checked against the model they are loaded into.

A checkpoint is a plain dict of tensors and Python values, loaded with ``torch.load(weights_only=True)``
(no arbitrary code runs on load). It is first written to a temporary file in the same folder, flushed to disk,
then renamed over the target: a run killed mid-write leaves the previous checkpoint intact.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

import torch

from mlkit.meta import MetaLearner, build_meta_learner

SHIPPED = Path(__file__).resolve().parent / "checkpoints"  # the models the package ships
Model = TypeVar("Model", bound=MetaLearner)

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
    if not isinstance(payload.get("config"), dict) or "model" not in payload:
        raise ValueError(f"checkpoint {path} lacks its {'config' if 'model' in payload else 'model'} entry: "
                         f"it was not written by mlkit.checkpoint.save_checkpoint")
    return payload


def check_compatible(payload: dict[str, Any], meta: MetaLearner, path: str | Path = "checkpoint") -> None:
    """Raise if the checkpoint was written by a different method or architecture than ``meta``."""
    found, expected = payload["config"], meta.config()
    if found.get("method") != expected["method"] or found.get("learner") != expected["learner"]:
        raise ValueError(
            f"{path} holds a {found.get('method')!r} model with learner {found.get('learner')}, "
            f"but it is being loaded into a {expected['method']!r} model with learner {expected['learner']}"
        )


def load_weights(meta: MetaLearner, weights: dict[str, Any] | None, path: str | Path = "checkpoint") -> None:
    """``meta.load_state_dict(weights)`` after checking that every tensor is there, of the model's shape and
    finite; a checkpoint that does not fit is refused with what is missing, extra or of another shape."""
    own = meta.state_dict()
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise ValueError(f"checkpoint {path} holds no weights (its 'model' entry is not a dict of tensors)")
    missing, extra = sorted(set(own) - set(weights)), sorted(set(weights) - set(own))
    shapes = [f"{n} {list(weights[n].shape)} (model {list(own[n].shape)})" for n in own
              if n in weights and weights[n].shape != own[n].shape]
    if missing or extra or shapes:
        problems = [f"{label}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
                    for label, names in (("missing", missing), ("unexpected", extra), ("other shapes", shapes))
                    if names]
        raise ValueError(f"checkpoint {path} does not fit a {meta.name!r} model: {'; '.join(problems)}")
    bad = [n for n, v in weights.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise ValueError(f"checkpoint {path} holds non-finite weights (NaN or inf in {', '.join(bad[:5])}): "
                         f"the run that wrote it diverged; use an earlier checkpoint")
    meta.load_state_dict(weights)


def load_into(path: str | Path, meta: MetaLearner) -> dict[str, Any]:
    """Load weights into an existing meta-learner after checking it is the same model; returns the payload."""
    payload = read_checkpoint(path)
    check_compatible(payload, meta, path)
    load_weights(meta, payload.get("model"), path)
    return payload


def load_meta_learner(path: str | Path) -> MetaLearner:
    """Rebuild the meta-learner stored in a checkpoint, weights included."""
    payload = read_checkpoint(path)
    try:
        meta = build_meta_learner(payload["config"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"checkpoint {path} has a configuration that builds no model "
                         f"({type(error).__name__}: {error})") from error
    load_weights(meta, payload.get("model"), path)
    return meta


def load_shipped(name: str, kind: type[Model], described_as: str) -> Model:
    """The shipped checkpoint ``mlkit/checkpoints/<name>``, refused unless it holds a ``kind`` model
    (``described_as`` names that kind in the message, e.g. "a MANN")."""
    model = load_meta_learner(SHIPPED / name)
    if not isinstance(model, kind):
        raise ValueError(f"the shipped {name} holds a {model.name} model, not {described_as}")
    return model


def remove_stale_temporaries(*paths: str | Path) -> list[Path]:
    """Delete the temporary files (``.NAME.*.tmp``) that writes of these checkpoints, killed mid-way, left behind;
    call it only while no other process writes them (``CheckpointLock``). Returns the files removed."""
    removed = [tmp for path in map(Path, paths) for tmp in path.parent.glob(f".{path.name}.*.tmp") if tmp.is_file()]
    for tmp in removed:
        tmp.unlink(missing_ok=True)
    return removed
