"""What the metric-based meta-learners share (Weng 2018, section "Metric-Based").

Every method of that family predicts a query's class from its similarity to the labelled support examples,
P_θ(y | x, S) = Σ_{(x_i, y_i) ∈ S} k_θ(x, x_i) y_i (Weng's kernel view), with a learned embedding and nothing
trained at meta-test time: ``adapt`` only remembers the support set, and the predictor embeds the episode and
compares. ``MetricLearner`` holds that skeleton; Prototypical, Matching, Relation and Siamese networks each give
the scores of the queries against the classes (``class_scores``) and their own ``meta_loss``.

Embedding: the learner's ConvNet without its linear head (``learner.embed``; the head is unused). The support and
query images of an episode go through it in one call, so batch norm normalises each task with the statistics of
its whole episode, support and queries alike (transductive, like mlkit's other ConvNet users: "batch norm uses the
statistics of the batch it sees"). Support and query embeddings are thus on the same scale; a query's embedding
depends (weakly) on the other queries predicted with it.

Episodes are N-way with labels 0..N−1, N read from the support labels: every class must appear in every task's
support set, so a method trained 5-way can be tested 20-way, as metric methods allow.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.learners import Learner
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.image_inputs import check_image_classifier, check_images
from mlkit.tasks.batch import TaskBatch


def one_hot(y: Tensor, n_way: int) -> Tensor:
    """Labels [T, B] -> float one-hot [T, B, N]."""
    return F.one_hot(y, n_way).float()


def class_sums(embedding: Tensor, y: Tensor, n_way: int, mean: bool = False) -> Tensor:
    """Sum (or mean, ``mean=True``) of the embeddings [T, S, *F] of each class -> [T, N, *F]."""
    labels = one_hot(y, n_way)  # [T, S, N]
    if mean:
        labels = labels / labels.sum(1, keepdim=True)  # each class's column sums to 1
    flat = embedding.flatten(2)  # [T, S, F]
    sums = torch.bmm(labels.transpose(1, 2), flat)  # [T, N, F]
    return sums.view(embedding.shape[0], n_way, *embedding.shape[2:])


def check_labels(name: str, y: Tensor, examples: Tensor, n_way: int | None = None) -> int:
    """Check int64 labels ``y`` [T, B] of the images ``examples`` [T, B, ...] and return N.

    ``n_way=None`` (support labels): N = max + 1 and each of 0..N−1 must occur in every task. Otherwise (query
    labels) every label must lie in 0..n_way−1.
    """
    if y.dtype != torch.int64 or y.shape != examples.shape[:2]:
        raise ValueError(f"{name} must be int64 labels [tasks, examples] = {tuple(examples.shape[:2])}, "
                         f"got {y.dtype} {tuple(y.shape)}")
    if y.numel() == 0:
        raise ValueError(f"{name} must hold at least one example per task, got shape {tuple(y.shape)}")
    low, high = int(y.min()), int(y.max())
    if n_way is None:
        if low < 0:
            raise ValueError(f"{name} must be labels 0..N-1 of an N-way episode, got a label {low}")
        n_way = high + 1
        if bool((one_hot(y, n_way).sum(1) == 0).any()):
            raise ValueError(f"{name} must hold every class 0..{n_way - 1} in every task's support set "
                             f"(labels 0..N-1 of an N-way episode); some task lacks a class")
    elif low < 0 or high >= n_way:
        raise ValueError(f"{name} must be labels in 0..{n_way - 1} (the support set's {n_way} classes), "
                         f"got labels {low}..{high}")
    return n_way


class MetricLearner(MetaLearner):
    """Skeleton of a metric-based meta-learner (classification only; not a method itself: no ``name``).

    Subclasses implement ``class_scores`` (scores [T, Q, N], the larger the likelier) and ``meta_loss``.
    """

    def __init__(self, learner: Learner, task_type: str = "classification", meta_lr: float = 1e-3) -> None:
        super().__init__(learner, task_type, meta_lr)
        check_image_classifier(learner, task_type, f"{type(self).__name__} embeds images with its embed")

    def check_images(self, name: str, x: Tensor, tasks: int | None = None) -> None:
        """``x`` must be images [T, B, C, H, W] of the learner's size (and ``tasks`` tasks when given)."""
        check_images(name, x, self.learner, tasks)

    def embed_episode(self, x_support: Tensor, x_query: Tensor) -> tuple[Tensor, Tensor]:
        """Images [T, S, C, H, W] and [T, Q, C, H, W] -> embeddings [T, S, F] and [T, Q, F], in one pass of the
        ConvNet (batch statistics of the whole episode, per task)."""
        self.check_images("x_support", x_support)
        self.check_images("x_query", x_query, x_support.shape[0])
        s = x_support.shape[1]
        features = self.learner.embed(torch.cat([x_support, x_query], dim=1))  # [T, S+Q, F]
        return features[:, :s], features[:, s:]

    def episode(self, batch: TaskBatch) -> tuple[Tensor, Tensor, int]:
        """A training batch checked and embedded: support [T, S, F], query [T, Q, F] embeddings and N."""
        support, query = self.embed_episode(batch.x_support, batch.x_query)
        n_way = check_labels("y_support", batch.y_support, batch.x_support)
        check_labels("y_query", batch.y_query, batch.x_query, n_way)
        return support, query, n_way

    def class_scores(self, support: Tensor, y_support: Tensor, query: Tensor, n_way: int) -> Tensor:
        """Embeddings support [T, S, F], query [T, Q, F] -> scores [T, Q, N]."""
        raise NotImplementedError

    def adapt(self, x_support: Tensor, y_support: Tensor) -> Predictor:
        """Remember the support set; the predictor embeds it with each query set and scores the queries."""
        self.check_images("x_support", x_support)
        n_way = check_labels("y_support", y_support, x_support)

        def scores(x_query: Tensor) -> Tensor:
            support, query = self.embed_episode(x_support, x_query)
            return self.class_scores(support, y_support, query, n_way)  # [T, Q, N]

        return Predictor(scores, self.task_type, {"n_way": n_way})
