"""Input checks shared by the meta-learners that classify images with a ``ConvNet`` learner (the metric-based
ones in ``mlkit/meta/metric.py``, MANN and Meta Networks): one message for each kind of bad input."""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.checks import check_choice, check_finite
from mlkit.learners import ConvNet, Learner


def check_image_classifier(learner: Learner, task_type: str, uses: str) -> None:
    """These meta-learners classify images: ``task_type`` must be "classification" and ``learner`` a ``ConvNet``
    (``uses`` says what the method does with it, for the error message)."""
    check_choice("task_type", task_type, ("classification",))
    if not isinstance(learner, ConvNet):
        raise ValueError(f"learner must be a ConvNet ({uses}), got {learner!r}")


def check_images(name: str, x: Tensor, learner: ConvNet, tasks: int | None = None) -> None:
    """``x`` must be finite images [T, B, C, H, W] of ``learner``'s size (and ``tasks`` tasks when given)."""
    shape = (learner.in_channels, learner.image_size, learner.image_size)
    if x.dim() != 5 or tuple(x.shape[2:]) != shape or (tasks is not None and x.shape[0] != tasks):
        count = "" if tasks is None else f" with {tasks} tasks"
        raise ValueError(f"{name} must be images [tasks, examples, {', '.join(map(str, shape))}]{count}, "
                         f"got shape {tuple(x.shape)}")
    check_finite(name, x)


def check_fixed_way_labels(x: Tensor, y: Tensor, n_way: int) -> None:
    """Support labels ``y`` [T, B] of images ``x`` for a model with a fixed N (its learner's ``n_classes``)."""
    if y.shape != x.shape[:2] or y.dtype != torch.int64:
        raise ValueError(f"y_support must be int64 labels [tasks, examples] = {tuple(x.shape[:2])}, "
                         f"got {y.dtype} {tuple(y.shape)}")
    if int(y.min()) < 0 or int(y.max()) >= n_way:
        raise ValueError(f"y_support labels must be in 0..{n_way - 1} (n_way = {n_way}, the learner's "
                         f"n_classes), got labels {int(y.min())}..{int(y.max())}")
