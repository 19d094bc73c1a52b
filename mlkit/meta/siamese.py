"""Convolutional Siamese networks for one-shot recognition (Koch, Zemel & Salakhutdinov 2015), as in Weng's
survey (section "Convolutional Siamese Neural Network").

Twin networks with shared weights (here the learner's ConvNet, f_θ) embed two images; a weighted L1 distance
of the embeddings, through a sigmoid, is the probability that they show the same class (Koch et al. §3.1):
    p(x_i, x_j) = σ(Σ_k α_k |f_θ(x_i)_k − f_θ(x_j)_k| + b).
Koch's equation shows only the weights α; we add the bias b of a linear layer (Weng: "a linear feedforward layer
and sigmoid"), without which an identical pair could never score above 1/2. Training is binary cross-entropy on
pairs (Koch's loss of §3.2 without its L2 weight penalty; Weng writes the log-likelihood, whose negative we minimise):
    L = −Σ_pairs [1(y_i = y_j) log p + (1 − 1(y_i = y_j)) log(1 − p)],
with the pairs of an episode: every (support, query) pair of each task, computed from the logits for stability.
In an N-way episode only one pair in N matches; with ``balanced=True`` (our choice) same-class and
different-class pairs weigh half the loss each, ``balanced=False`` averages all pairs alike. At test time a
query takes the class of the support image with the highest p (Weng's ĉ_S(x) = c(argmax_{x_i ∈ S} P(x, x_i))):
the score of class c is the largest p over its support images.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_choice
from mlkit.learners import Learner
from mlkit.meta.metric import MetricLearner, one_hot
from mlkit.tasks.batch import TaskBatch


def same_class(y_query: Tensor, y_support: Tensor) -> Tensor:
    """Pair labels 1(y_j = y_i): queries [T, Q], support [T, S] -> [T, Q, S] floats."""
    return (y_query.unsqueeze(2) == y_support.unsqueeze(1)).float()


class Siamese(MetricLearner):
    """Siamese network: P(same class) from the L1 distance of twin embeddings, nearest support by that probability.

    Koch, Zemel & Salakhutdinov (2015), §3.1–3.2: p = σ(Σ_k α_k |f(x_i)_k − f(x_j)_k| + b), cross-entropy on pairs.

    Args:
        learner: a ``ConvNet`` (the twin f_θ = its ``embed``; F = ``learner.features``).
        task_type: must be ``"classification"``.
        meta_lr: Adam learning rate.
        balanced: weigh same-class and different-class pairs equally in the loss.
    """

    name = "siamese"

    def __init__(
        self, learner: Learner, task_type: str = "classification", meta_lr: float = 1e-3, *, balanced: bool = True,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        self.balanced = check_choice("balanced", balanced, (True, False))
        self.hparams = {"balanced": self.balanced}
        self.compare = nn.Linear(learner.features, 1)  # α and b

    def pair_logits(self, support: Tensor, query: Tensor) -> Tensor:
        """Logits of p for every (query, support) pair: query [T, Q, F], support [T, S, F] -> [T, Q, S]."""
        distance = (query.unsqueeze(2) - support.unsqueeze(1)).abs()  # [T, Q, S, F], |f(x_j) − f(x_i)|
        return self.compare(distance).squeeze(-1)  # [T, Q, S]

    def class_scores(self, support: Tensor, y_support: Tensor, query: Tensor, n_way: int) -> Tensor:
        """Score of class c: the largest same-class probability over its support images [T, Q, N]."""
        p = torch.sigmoid(self.pair_logits(support, query))  # [T, Q, S]
        member = one_hot(y_support, n_way).bool().unsqueeze(1)  # [T, 1, S, N]
        return p.unsqueeze(-1).masked_fill(~member, -1.0).amax(2)  # [T, Q, N]; p >= 0 > −1 for non-members

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        support, query, _ = self.episode(batch)
        logits = self.pair_logits(support, query)  # [T, Q, S]
        target = same_class(batch.y_query, batch.y_support)  # [T, Q, S]
        losses = F.binary_cross_entropy_with_logits(logits, target, reduction="none")  # [T, Q, S]
        if not self.balanced:
            return losses.mean()
        same = (losses * target).sum((1, 2)) / target.sum((1, 2))  # [T]
        different = (losses * (1 - target)).sum((1, 2)) / (1 - target).sum((1, 2)).clamp_min(1)  # [T]
        return (0.5 * (same + different)).mean()
