"""Baseline: one network trained on all tasks jointly, then fine-tuned on each support set.

Regression: the "pretrained" baseline of Finn et al. (2017) §5.1 — the network regresses points of every
training task (so it learns roughly the mean function), then takes a few SGD steps on the K support points.
Classification: the baseline-finetune of Ravi & Larochelle (2017) §5.1 — a classifier over *all* meta-train
classes (episode labels are mapped back to dataset classes through ``batch.info["classes"]``); to adapt, its
head is replaced by a fresh zero-initialised N-way head and the whole network takes SGD steps on the support set.
"""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.checks import check_int, check_positive
from mlkit.learners import Learner
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.inner import inner_loop
from mlkit.tasks.batch import TaskBatch


class FineTune(MetaLearner):
    """Joint pre-training, then ``steps`` SGD steps of size ``lr`` on the support set.

    Args:
        learner: for classification its ``n_classes`` must equal the classes of the training split.
        steps, lr: fine-tuning steps and step size used by ``adapt`` unless overridden there.
    """

    name = "finetune"

    def __init__(
        self, learner: Learner, task_type: str = "regression", meta_lr: float = 1e-3,
        steps: int = 10, lr: float = 0.01,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        self.steps = check_int("steps", steps, 0)
        self.lr = check_positive("lr", lr)
        self.hparams = {"steps": self.steps, "lr": self.lr}

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        x = torch.cat([batch.x_support, batch.x_query], dim=1)
        y = torch.cat([batch.y_support, batch.y_query], dim=1)
        if self.task_type == "classification":
            y = batch.info["classes"].gather(1, y)  # episode labels -> training-split class ids
        return self.loss(self.learner(x), y).mean()

    def adapt(self, x_support: Tensor, y_support: Tensor, steps: int | None = None, lr: float | None = None) -> Predictor:
        steps = self.steps if steps is None else steps
        lr = self.lr if lr is None else lr
        t = x_support.shape[0]
        weights = {n: w.detach().clone() for n, w in self.learner.task_weights(t).items()}
        if self.task_type == "classification":
            n_way = int(y_support.max()) + 1
            w_name, b_name = self.learner.head
            weights[w_name] = weights[w_name].new_zeros(t, weights[w_name].shape[1], n_way)  # [T, F, N]
            weights[b_name] = weights[b_name].new_zeros(t, n_way)  # [T, N]
        adapted = inner_loop(
            self.learner, weights, x_support, y_support, steps=steps, alpha=lr, task_type=self.task_type,
            names=self.learner.adaptable, create_graph=False, detach=True,
        )
        return Predictor(lambda x: self.learner(x, adapted), self.task_type, {"weights": adapted})
