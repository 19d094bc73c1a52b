"""Baseline: one network trained on all tasks jointly, then fine-tuned on each support set.

Regression: the "pretrained" baseline of Finn et al. (2017) §5.1 — the network regresses points of every
training task (so it learns roughly the mean function), then takes a few SGD steps on the K support points.
Classification: the baseline-finetune of Ravi & Larochelle (2017) §5.1 — a classifier over *all* meta-train
classes (episode labels are mapped back to dataset classes through ``batch.info["classes"]``); to adapt, its
head is replaced by a fresh zero-initialised N-way head and the whole network takes SGD steps on the support set.
Step s (0-based) has size ``lr · decay^s``; ``mlkit.tuning.select_sgd`` picks ``lr`` and ``decay`` on validation
episodes, as §5.1 does ("search over the learning rate and learning rate decay", a fixed number of updates).
"""
from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from mlkit.checks import check_int, check_positive, check_range
from mlkit.learners import Learner
from mlkit.meta.adapt_inputs import check_support, checked_queries
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.inner import inner_loop
from mlkit.tasks.batch import TaskBatch


class FineTune(MetaLearner):
    """Joint pre-training, then ``steps`` SGD steps of size ``lr`` on the support set.

    The baselines of Finn et al. (2017) §5.1 (regression) and Ravi & Larochelle (2017) §5.1 (classification).

    Args:
        learner: for classification its ``n_classes`` must equal the classes of the training split.
        steps, lr: fine-tuning steps and step size used by ``adapt`` unless overridden there.
        decay: factor applied to the step size after every step, in (0, 1] (1: constant).
    """

    name = "finetune"
    joint_classifier: ClassVar[bool] = True  # classification: the head covers every class of the training split

    def __init__(
        self, learner: Learner, task_type: str = "regression", meta_lr: float = 1e-3,
        steps: int = 10, lr: float = 0.01, decay: float = 1.0,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        self.steps = check_int("steps", steps, 0)
        self.lr = check_positive("lr", lr)
        self.decay = check_range("decay", decay, 1e-6, 1.0)
        self.hparams = {"steps": self.steps, "lr": self.lr, "decay": self.decay}

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        """Joint pre-training: the plain loss on every example of the batch, support and query alike (classification:
        over all training classes, episode labels mapped back through ``batch.info["classes"]``)."""
        x = torch.cat([batch.x_support, batch.x_query], dim=1)
        y = torch.cat([batch.y_support, batch.y_query], dim=1)
        if self.task_type == "classification":
            y = batch.info["classes"].gather(1, y)  # episode labels -> training-split class ids
        return self.loss(self.learner(x), y).mean()

    def adapt(self, x_support: Tensor, y_support: Tensor, steps: int | None = None, lr: float | None = None,
              decay: float | None = None) -> Predictor:
        """``steps`` SGD steps of size ``lr · decay^s`` on each support set (classification: a fresh zero N-way head
        first); the arguments default to the constructor's."""
        steps = self.steps if steps is None else check_int("steps", steps, 0)
        lr = self.lr if lr is None else check_positive("lr", lr)
        decay = self.decay if decay is None else check_range("decay", decay, 1e-6, 1.0)
        n_way = check_support(self.learner, self.task_type, x_support, y_support, fixed_way=False)
        t = x_support.shape[0]
        weights = {n: w.detach().clone() for n, w in self.learner.task_weights(t).items()}
        if self.task_type == "classification":
            w_name, b_name = self.learner.head
            weights[w_name] = weights[w_name].new_zeros(t, weights[w_name].shape[1], n_way)  # [T, F, N]
            weights[b_name] = weights[b_name].new_zeros(t, n_way)  # [T, N]
        with torch.enable_grad():  # also under torch.no_grad(); a decaying step size is one call per step
            for size in [lr] if decay == 1.0 else [lr * decay ** s for s in range(steps)]:
                weights = inner_loop(
                    self.learner, weights, x_support, y_support, steps=steps if decay == 1.0 else 1, alpha=size,
                    task_type=self.task_type, names=self.learner.adaptable, create_graph=False, detach=True,
                )
        adapted = weights
        forward = checked_queries(lambda x: self.learner(x, adapted), self.learner, t)
        return Predictor(forward, self.task_type, {"weights": adapted})

