"""Reptile (Nichol, Achiam & Schulman 2018; Weng's survey, "Reptile"): move θ toward the task-adapted weights.

For every task of the meta-batch, θ takes ``steps`` first-order steps (plain SGD, or Adam with β1 = 0 as in
the authors' code) on the task's support set, in mini-batches of ``inner_batch`` examples cycling through
reshuffles of the support set (as openai/supervised-reptile does): its own loop over the shared
``gradient_step``, with the step directions of ``AdamDirection`` and the mini-batches of ``cycling_batches``
(both below). The outer update is

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
from mlkit.meta.adapt_inputs import check_support, checked_queries
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.inner import TaskWeights, detached, gradient_step
from mlkit.tasks.batch import TaskBatch


class Reptile(MetaLearner):
    """Reptile with SGD or Adam(β1 = 0) inner steps and a linearly annealed outer step.

    Nichol, Achiam & Schulman (2018), the batched version of the algorithm: θ ← θ + ε·(mean_T θ'_T − θ).

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
        """θ'_T for every task after ``steps`` inner steps, {name: [T, *shape]}, detached (Reptile needs no graph
        through them): step i moves along SGD's or Adam's direction, fitted on mini-batch i of each support set."""
        n_tasks, n_examples = x_support.shape[:2]
        names = self.learner.adaptable
        direction = AdamDirection() if self.inner_optimizer == "adam" else None  # fresh moments for these tasks
        batches = None  # indices [steps, T, B] into the support sets; None: every step fits all S examples
        if self.inner_batch is not None and self.inner_batch < n_examples:
            batches = cycling_batches(n_tasks, n_examples, self.inner_batch, steps, device=x_support.device)
        tasks = torch.arange(n_tasks, device=x_support.device).unsqueeze(1)  # [T, 1]: pairs each task with its batch
        weights = self.learner.task_weights(n_tasks)
        with torch.enable_grad():
            for i in range(steps):
                x, y = x_support, y_support
                if batches is not None:  # this step's mini-batch of every task: [T, B, ...]
                    x, y = x_support[tasks, batches[i]], y_support[tasks, batches[i]]
                weights = gradient_step(self.learner, detached(weights, names), x, y, alpha=alpha,
                                        task_type=self.task_type, names=names, create_graph=False, direction=direction)
        return detached(weights)

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
        check_support(self.learner, self.task_type, x_support, y_support)
        weights = self.adapted_weights(x_support, y_support, steps, alpha)
        forward = checked_queries(lambda x: self.learner(x, weights), self.learner, x_support.shape[0])
        return Predictor(forward, self.task_type, {"weights": weights})

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


class AdamDirection:
    """Adam's update direction with β1 = 0 (the inner optimiser of Reptile's code), for one set of tasks.

    With β1 = 0 the first moment is the current gradient g, so step t moves along g / (sqrt(v̂_t) + eps) with
    v_t = β2·v_{t−1} + (1 − β2)·g² and v̂_t = v_t / (1 − β2^t) (Kingma & Ba 2015, Algorithm 1). The moments v carry
    the task dimension [T, *shape], so every task has its own Adam state; a fresh object starts every task from
    zero (make one per adaptation). Gradients enter as constants (first-order), as Reptile needs.
    """

    def __init__(self, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta2 = beta2
        self.eps = eps
        self.t = 0
        self.v: dict[str, Tensor] = {}

    def __call__(self, grads: TaskWeights) -> TaskWeights:
        """This step's gradients {name: [T, *shape]} -> the directions to step along, same shapes."""
        self.t += 1
        correction = 1 - self.beta2 ** self.t
        directions = {}
        for name, g in grads.items():
            g = g.detach()
            v = self.v[name] * self.beta2 + (1 - self.beta2) * g * g if name in self.v else (1 - self.beta2) * g * g
            self.v[name] = v
            directions[name] = g / ((v / correction).sqrt() + self.eps)
        return directions


def cycling_batches(n_tasks: int, n_examples: int, batch_size: int, steps: int,
                    generator: torch.Generator | None = None, device: torch.device | str | None = None) -> Tensor:
    """Indices [steps, T, B] of inner mini-batches drawn without replacement, cycling through reshuffles.

    As in Reptile's code: each task's examples are shuffled and cut into consecutive batches of ``batch_size``;
    when they run out they are reshuffled and the cut goes on (a batch may straddle two shuffles). Every task
    gets its own shuffles.
    """
    check_int("batch_size", batch_size, 1)
    check_int("steps", steps, 0)
    rounds = -(-steps * batch_size // n_examples)  # ceil: shuffles needed
    shuffles = [torch.rand(n_tasks, n_examples, generator=generator).argsort(1) for _ in range(max(rounds, 1))]
    order = torch.cat(shuffles, 1)  # [T, rounds·S]
    order = order[:, : steps * batch_size].reshape(n_tasks, steps, batch_size)  # [T, steps, B]
    return order.transpose(0, 1).to(device)  # [steps, T, B]
