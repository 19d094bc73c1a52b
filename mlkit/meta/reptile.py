"""Reptile (Nichol, Achiam & Schulman 2018; Weng's survey, "Reptile"): move θ toward the task-adapted weights.

For every task of the meta-batch, θ takes ``steps`` first-order steps (plain SGD, or Adam with β1 = 0 as in
the authors' code) on the task's support set, in mini-batches of ``inner_batch`` examples cycling through
reshuffles of the support set (PROTOCOLS §3). The outer update is

    θ  ←  θ + ε · (mean_T θ'_T − θ),       ε annealed linearly from ``meta_step`` to ``meta_step_final``.

Written as a loss so the one training loop serves it unchanged: meta_loss = ½·mean_T ||θ − stopgrad(θ'_T)||²
has gradient θ − mean_T θ'_T, and plain SGD with learning rate ε on it is exactly the update above.
Unlike the reference code (whose Adam moments persist across tasks during training), every task starts its
inner Adam from zero, so a task's adaptation does not depend on the tasks before it.
"""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.checks import check_choice, check_int, check_positive
from mlkit.learners import Learner
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.inner import AdamDirection, TaskWeights, cycling_batches, inner_loop
from mlkit.tasks.batch import TaskBatch


class Reptile(MetaLearner):
    """Reptile with SGD or Adam(β1 = 0) inner steps and a linearly annealed outer step.

    Args:
        learner: the network; its parameters are θ.
        task_type: ``"regression"`` or ``"classification"``.
        meta_lr: the outer Adam's learning rate when ``outer_optimizer="adam"``; unused by the default SGD.
        steps: inner steps (Reptile's "inner iterations"), >= 0.
        alpha: inner learning rate (the Adam or SGD step size), finite and > 0.
        inner_optimizer: ``"adam"`` (β1 = 0, β2 = 0.999, eps 1e-8, per-task moments) or ``"sgd"``.
        inner_batch: examples per inner step; None uses the whole support set at every step.
        meta_step, meta_step_final: outer step ε at the first and the last meta-iteration (SGD).
        outer_optimizer: ``"sgd"`` (Reptile's own annealed step) or ``"adam"`` (Adam(meta_lr) on the same
            gradient θ − mean θ', as the MAML-vs-Reptile comparison uses to give every method the same outer loop).
    """

    name = "reptile"

    def __init__(
        self, learner: Learner, task_type: str = "regression", meta_lr: float = 1e-3,
        steps: int = 5, alpha: float = 1e-3, inner_optimizer: str = "adam", inner_batch: int | None = None,
        meta_step: float = 1.0, meta_step_final: float = 0.0, outer_optimizer: str = "sgd",
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        self.steps = check_int("steps", steps, 0)
        self.alpha = check_positive("alpha", alpha)
        self.inner_optimizer = check_choice("inner_optimizer", inner_optimizer, ("adam", "sgd"))
        self.inner_batch = None if inner_batch is None else check_int("inner_batch", inner_batch, 1)
        self.meta_step = check_positive("meta_step", meta_step)
        self.meta_step_final = check_positive("meta_step_final", meta_step_final, allow_zero=True)
        self.outer_optimizer = check_choice("outer_optimizer", outer_optimizer, ("sgd", "adam"))
        self.hparams = {
            "steps": self.steps, "alpha": self.alpha, "inner_optimizer": self.inner_optimizer,
            "inner_batch": self.inner_batch, "meta_step": self.meta_step, "meta_step_final": self.meta_step_final,
            "outer_optimizer": self.outer_optimizer,
        }

    def adapted_weights(self, x_support: Tensor, y_support: Tensor, steps: int, alpha: float) -> TaskWeights:
        """θ'_T for every task after ``steps`` inner steps (detached: Reptile needs no graph through them)."""
        n_tasks, n_examples = x_support.shape[:2]
        batches = None
        if self.inner_batch is not None and self.inner_batch < n_examples:
            batches = cycling_batches(n_tasks, n_examples, self.inner_batch, steps, device=x_support.device)
        with torch.enable_grad():
            return inner_loop(
                self.learner, self.learner.task_weights(n_tasks), x_support, y_support, steps=steps, alpha=alpha,
                task_type=self.task_type, names=self.learner.adaptable, create_graph=False, detach=True,
                rule=AdamDirection() if self.inner_optimizer == "adam" else None, batches=batches,
            )

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        """½·mean over tasks of ||θ − θ'_T||² (θ' held constant): its gradient is θ − mean_T θ'_T."""
        adapted = self.adapted_weights(batch.x_support, batch.y_support, self.steps, self.alpha)
        theta = dict(self.learner.named_parameters())
        distance = sum(((theta[n] - adapted[n]) ** 2).flatten(1).sum(1) for n in self.learner.adaptable)  # [T]
        return 0.5 * distance.mean()

    def adapt(self, x_support: Tensor, y_support: Tensor, steps: int | None = None,
              alpha: float | None = None) -> Predictor:
        """The same inner steps (optimiser, mini-batches) on each support set; ``steps``/``alpha`` overridable."""
        steps = self.steps if steps is None else check_int("steps", steps, 0)
        alpha = self.alpha if alpha is None else check_positive("alpha", alpha)
        weights = self.adapted_weights(x_support, y_support, steps, alpha)
        return Predictor(lambda x: self.learner(x, weights), self.task_type, {"weights": weights})

    def configure_optimizer(
        self, total_steps: int
    ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
        """SGD with learning rate ε, annealed linearly: ε_i = (1 − i/N)·meta_step + (i/N)·meta_step_final
        (or the base class's Adam when ``outer_optimizer="adam"``)."""
        if self.outer_optimizer == "adam":
            return super().configure_optimizer(total_steps)
        total = check_int("total_steps", total_steps, 1)
        optimizer = torch.optim.SGD(self.parameters(), lr=self.meta_step)
        ratio = self.meta_step_final / self.meta_step
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: (1 - i / total) + (i / total) * ratio)
        return optimizer, schedule
