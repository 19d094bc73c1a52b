"""Input checks of ``adapt`` shared by the meta-learners that adapt a learner's weights (MAML and its relatives,
Reptile, the fine-tune and nearest-neighbour baselines, the LSTM meta-learner, LEO), and the check that a model
fits a task sampler (``evaluate``, ``train``): one message for each kind of bad input.

Shapes, with T tasks and S support examples: regression inputs [T, S, features] with targets [T, S, outputs],
both in the model's float dtype; classification inputs [T, S, C, H, W] (images) or [T, S, features] with int64
labels [T, S]. Every value must be finite.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from mlkit.checks import check_finite
from mlkit.learners import MLP, ConvNet, Learner
from mlkit.meta.image_inputs import check_fixed_way_labels
from mlkit.meta.metric import check_labels


def input_shape(learner: Learner) -> tuple[int, ...] | None:
    """The shape of one example the learner reads: (C, H, W) for a ``ConvNet``, (features,) for an ``MLP``
    (None for another learner: only the leading [tasks, examples] dimensions are checked)."""
    if isinstance(learner, ConvNet):
        return (learner.in_channels, learner.image_size, learner.image_size)
    return (learner.sizes[0],) if isinstance(learner, MLP) else None


def n_outputs(learner: Learner) -> int | None:
    """Outputs of the learner's head: classes of a fixed-way classifier, or regression targets (None: unknown)."""
    if isinstance(learner, ConvNet):
        return learner.n_classes
    return learner.sizes[-1] if isinstance(learner, MLP) else None


def _describe(shape: tuple[int, ...]) -> str:
    return f"images {'x'.join(map(str, shape))}" if len(shape) == 3 else f"{shape[0]} feature(s)"


def _name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def check_inputs(name: str, x: Tensor, learner: Learner, tasks: int | None = None) -> None:
    """``x`` must be the learner's examples [T, B, *input_shape] (T = ``tasks`` when given, B >= 1) in the
    learner's float dtype, all finite."""
    shape, dtype = input_shape(learner), next(learner.parameters()).dtype
    dims = "..." if shape is None else ", ".join(map(str, shape))
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a tensor [tasks, examples, {dims}], got {type(x).__name__}")
    wrong = x.dim() < 3 if shape is None else x.dim() != 2 + len(shape) or tuple(x.shape[2:]) != shape
    if wrong or (tasks is not None and x.shape[0] != tasks):
        count = "" if tasks is None else f" with {tasks} tasks (as many as the support set)"
        raise ValueError(f"{name} must have shape [tasks, examples, {dims}]{count}, got {tuple(x.shape)}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} must hold at least one task and one example per task, got shape {tuple(x.shape)}")
    if x.dtype != dtype:
        raise ValueError(f"{name} must be {_name(dtype)} (the model's dtype), got {_name(x.dtype)}")
    check_finite(name, x)


def check_support(learner: Learner, task_type: str, x_support: Tensor, y_support: Tensor,
                  fixed_way: bool = True) -> int | None:
    """Check a support set; returns N for classification (None for regression).

    Regression targets are [T, S, outputs] in the inputs' dtype. Classification labels are int64 [T, S]: in
    0..n_classes−1 of the learner's head with ``fixed_way``, else labels 0..N−1 of an N-way episode with every
    class present (the fine-tune baselines make a head for N).
    """
    check_inputs("x_support", x_support, learner)
    if task_type == "regression":
        outputs = n_outputs(learner)
        if not (isinstance(y_support, Tensor) and y_support.dim() == 3 and y_support.dtype == x_support.dtype
                and y_support.shape[:2] == x_support.shape[:2] and outputs in (None, y_support.shape[2])):
            got = f"{_name(y_support.dtype)} {tuple(y_support.shape)}" if isinstance(y_support, Tensor) else y_support
            want = (*x_support.shape[:2], outputs or "outputs")
            raise ValueError(f"y_support must be {_name(x_support.dtype)} targets [tasks, examples, outputs] = "
                             f"({', '.join(map(str, want))}), got {got!s:.60}")
        check_finite("y_support", y_support)
        return None
    if not isinstance(y_support, Tensor):
        raise ValueError(f"y_support must be int64 labels [tasks, examples], got {type(y_support).__name__}")
    if not fixed_way:
        return check_labels("y_support", y_support, x_support)
    n_way = n_outputs(learner)
    if n_way is None:  # a custom learner, its head's size unknown: labels up to the largest given
        n_way = int(y_support.max()) + 1 if y_support.dtype == torch.int64 and y_support.numel() else 1
    check_fixed_way_labels(x_support, y_support, n_way)
    return n_way


def checked_queries(forward: Callable[[Tensor], Tensor], learner: Learner, tasks: int) -> Callable[[Tensor], Tensor]:
    """``forward`` for a predictor, refusing query inputs that are not the learner's examples for ``tasks`` tasks."""

    def predict(x_query: Tensor) -> Tensor:
        check_inputs("x_query", x_query, learner, tasks)
        return forward(x_query)

    return predict


def check_model_fits_tasks(meta, sampler) -> None:
    """The model ``meta`` must solve the kind of tasks ``sampler`` draws: same task type and example shape."""
    task_type = getattr(sampler, "task_type", None)
    if task_type is not None and task_type != meta.task_type:
        raise ValueError(f"the model is a {meta.task_type} model ({meta.name}) but the tasks are {task_type} "
                         f"tasks; use tasks of its kind")
    shape = tuple(getattr(sampler, "input_shape", ()))
    if not hasattr(meta, "learner"):  # a method-free baseline (mlkit.baselines): it reads any image
        return
    want = input_shape(meta.learner)
    if shape and want is not None and shape != want:
        raise ValueError(f"the model reads {_describe(want)} ({meta.name}) but the tasks give "
                         f"{_describe(shape)}; use tasks of its kind")
