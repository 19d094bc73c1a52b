"""What every meta-learner offers, whatever its family: two faces, ``meta_loss`` and ``adapt``.

- ``meta_loss(batch)`` -> scalar tensor: the loss the training loop minimises over meta-parameters
  (for MAML the query loss after adaptation; for Reptile 0.5·||θ − stopgrad(θ')||²; for a baseline the
  plain supervised loss), so one training loop serves every method without special cases.
- ``adapt(x_support, y_support, ...)`` -> ``Predictor``: learn from a support set, then answer queries.
  Evaluation, widgets and notebooks only ever use this face.
A meta-learner also knows how to describe itself (``config``) so a checkpoint can rebuild it.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar

import torch
from torch import Tensor, nn

from mlkit.checks import check_choice, check_positive
from mlkit.learners import Learner, build_learner
from mlkit.tasks.batch import TaskBatch

TASK_TYPES = ("regression", "classification")


class Predictor:
    """The result of adaptation: a function from query inputs [T, Q, ...] to outputs [T, Q, out].

    ``predict`` returns regression outputs, or class indices [T, Q] for classification. ``extras`` carries
    whatever a method wants to show about its adaptation (gate values, latent codes, adapted weights).
    """

    def __init__(self, forward: Callable[[Tensor], Tensor], task_type: str, extras: dict | None = None):
        self._forward = forward
        self.task_type = task_type
        self.extras = extras or {}

    def outputs(self, x_query: Tensor) -> Tensor:
        """Raw outputs for queries [T, Q, ...]: regression values or class scores [T, Q, out] (no gradients)."""
        with torch.no_grad():
            return self._forward(x_query)

    def predict(self, x_query: Tensor) -> Tensor:
        """Predictions for queries [T, Q, ...]: values [T, Q, out] (regression) or class indices [T, Q]."""
        out = self.outputs(x_query)
        return out if self.task_type == "regression" else out.argmax(-1)


class MetaLearner(nn.Module):
    """Base class. A subclass sets ``name``, stores its constructor arguments in ``self.hparams`` and
    implements ``meta_loss`` and ``adapt``.

    Args:
        learner: the network that adapts (its parameters are the initial weights θ).
        task_type: ``"regression"`` or ``"classification"``.
        meta_lr: learning rate of the outer (meta) optimiser, Adam by default.
    """

    name: ClassVar[str] = ""
    clip_grad_norm: float | None = None  # global gradient-norm clipping in the training loop, if set

    def __init__(self, learner: Learner, task_type: str = "regression", meta_lr: float = 1e-3) -> None:
        super().__init__()
        self.learner = learner
        self.task_type = check_choice("task_type", task_type, TASK_TYPES)
        self.meta_lr = check_positive("meta_lr", meta_lr)
        self.hparams: dict[str, Any] = {}

    def clip_gradients(self) -> None:
        """Called by the training loop between ``backward()`` and the optimiser step: the global norm clipping of
        ``clip_grad_norm`` when set. Methods with their own rule override it (LEO clips each tensor)."""
        if self.clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.parameters(), self.clip_grad_norm)

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        """The scalar the training loop minimises over the meta-parameters, for a meta-batch of T tasks."""
        raise NotImplementedError

    def adapt(self, x_support: Tensor, y_support: Tensor, **kwargs: Any) -> Predictor:
        """Learn each task from its support set (x [T, S, ...], y [T, S, 1] or labels [T, S]); answer queries."""
        raise NotImplementedError

    def configure_optimizer(
        self, total_steps: int
    ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
        """The outer optimiser (and an optional per-step schedule): Adam(meta_lr) unless a method says otherwise,
        in PyTorch's fused form where it exists (the same update in fewer operations)."""
        params = list(self.parameters())
        fused = all(p.device.type in ("cpu", "cuda") and p.dtype.is_floating_point for p in params)
        return torch.optim.Adam(params, lr=self.meta_lr, fused=fused), None

    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this meta-learner: its name, the learner's and its own arguments."""
        return {
            "method": self.name, "learner": self.learner.config(), "task_type": self.task_type,
            "meta_lr": self.meta_lr, **self.hparams,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "MetaLearner":
        kwargs = {k: v for k, v in config.items() if k not in ("method", "learner")}
        return cls(build_learner(config["learner"]), **kwargs)

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        """Per-task loss [T] for this meta-learner's task type."""
        from mlkit.meta.losses import task_losses

        return task_losses(outputs, targets, self.task_type)
