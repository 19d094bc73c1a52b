"""Meta-learners: one file per method, all with ``meta_loss(batch)`` and ``adapt(x, y) -> Predictor``.

``METHODS`` maps each method's ``name`` to its class; it is filled by importing every module of this
package (see ``mlkit/registry.py``), so a new method is one new file.
"""
from __future__ import annotations

import sys
from typing import Any

from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.inner import inner_loop, task_losses


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def _methods() -> dict[str, type[MetaLearner]]:
    from mlkit.registry import modules_of

    modules_of(sys.modules[__name__])
    return {cls.name: cls for cls in _subclasses(MetaLearner) if cls.name and cls.__module__.startswith("mlkit.")}


METHODS: dict[str, type[MetaLearner]] = _methods()


def build_meta_learner(config: dict[str, Any]) -> MetaLearner:
    """Rebuild a meta-learner from ``meta.config()`` (as stored in checkpoints)."""
    method = config.get("method")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, got {method!r}")
    return METHODS[method].from_config(config)


def __getattr__(name: str) -> type[MetaLearner]:
    """``from mlkit.meta import MAML`` finds any discovered class by its Python name."""
    for cls in METHODS.values():
        if cls.__name__ == name:
            return cls
    raise AttributeError(f"module 'mlkit.meta' has no attribute {name!r}")


__all__ = ["MetaLearner", "Predictor", "inner_loop", "task_losses", "METHODS", "build_meta_learner"]
