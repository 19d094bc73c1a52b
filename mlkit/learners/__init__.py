"""Learners: networks whose weights can be held outside them, one copy per task.

The base class and task weights: ``mlkit.learners.base``; the MLP: ``mlkit.learners.mlp``; the 4-block ConvNet:
``mlkit.learners.conv``.
"""
from __future__ import annotations

from typing import Any

from mlkit.learners.base import Learner, TaskWeights
from mlkit.learners.conv import ConvNet
from mlkit.learners.mlp import MLP

LEARNERS: dict[str, type[Learner]] = {"mlp": MLP, "conv": ConvNet}


def build_learner(config: dict[str, Any]) -> Learner:
    """Rebuild a learner from ``learner.config()``."""
    config = dict(config)
    kind = config.pop("kind", None)
    if kind not in LEARNERS:
        raise ValueError(f"learner kind must be one of {', '.join(LEARNERS)}, got {kind!r}")
    return LEARNERS[kind](**config)


__all__ = ["Learner", "TaskWeights", "MLP", "ConvNet", "LEARNERS", "build_learner"]
