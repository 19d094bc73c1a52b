"""Pair a meta-learner with the learner its tasks need, so users name a method and a task family only.

Regression tasks get the 1-40-40-1 MLP; episodes over pre-computed features a linear layer; image episodes get
the 4-block ConvNet sized to the images
(64 stride-2 filters for 28×28 and smaller, 32 filters with max-pooling for larger, as in the papers).
"""
from __future__ import annotations

from typing import Any

from mlkit.learners import MLP, ConvNet, Learner
from mlkit.meta import METHODS, MetaLearner


def learner_for(sampler, n_outputs: int | None = None, transform: bool = False) -> Learner:
    """The papers' learner for a sampler's tasks; ``n_outputs`` defaults to the episode's N."""
    if sampler.task_type == "regression":
        return MLP((1, 40, 40, 1), transform=transform)
    if len(sampler.input_shape) == 1:  # pre-computed features (mlkit.tasks.features): a linear classifier
        return MLP((sampler.input_shape[0], n_outputs or sampler.n_way), transform=transform)
    channels, size, _ = sampler.input_shape
    small = size <= 32
    return ConvNet(
        in_channels=channels, n_classes=n_outputs or sampler.n_way, hidden=64 if small else 32, image_size=size,
        downsample="stride" if small else "maxpool", transform=transform,
    )


def build(method: str, sampler, **hparams: Any) -> MetaLearner:
    """A fresh meta-learner ``method`` for the tasks of ``sampler``; ``hparams`` go to its constructor."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, got {method!r}")
    cls = METHODS[method]
    joint = getattr(cls, "joint_classifier", False)  # baselines that first classify all training classes
    n_outputs = sampler.dataset.n_classes if joint and sampler.task_type == "classification" else None
    transform = bool(getattr(cls, "uses_transform", False))
    return cls(learner_for(sampler, n_outputs, transform), task_type=sampler.task_type, **hparams)
