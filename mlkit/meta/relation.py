"""Relation Networks (Sung et al. 2018, "Learning to Compare"), as in Weng's survey (section "Relation Network").

An embedding module f_φ (the learner's ConvNet) maps images to feature maps; a relation module g_ϕ scores the
depth-wise concatenation of a class's feature map and a query's (Sung et al. eq. 1):
    r_{i,j} = g_ϕ(C(f_φ(x_i), f_φ(x_j))) ∈ [0, 1]    for class i of the support set and query j.
For K > 1 shots, the class's feature map is the element-wise sum of its K support feature maps (§3.2, "K-shot"),
scored by the same formula. Training regresses the scores onto the match indicator (eq. 2, an MSE loss):
    φ, ϕ ← argmin Σ_i Σ_j (r_{i,j} − 1(y_i == y_j))²,
here the mean over classes, queries and tasks (the paper's sum divided by a constant). Weng's summary writes it
over pairs of examples; we follow the paper's per-class form.

Relation module (§3.4): two blocks [3×3 conv with ``channels`` filters, batch norm, ReLU, 2×2 max-pool], then
a fully connected layer of ``units`` ReLU units and one sigmoid output. The ConvNet's feature maps are small
(1×1 for 28×28 glyphs, 5×5 for 84×84 images), so a block pools only while its map is at least 2×2 and the
convolutions are zero-padded. Batch norm uses the statistics of each task's own pairs (no running averages, as
the ConvNet), so a task's scores do not depend on the other tasks of the batch.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_int
from mlkit.learners import Learner
from mlkit.meta.metric import MetricLearner, class_sums, one_hot
from mlkit.tasks.batch import TaskBatch


def task_batch_norm(h: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-3) -> Tensor:
    """Batch norm of maps [T, P, C, H, W] with the statistics of each task t and channel c (over P, H, W)."""
    mean = h.mean(dim=(1, 3, 4), keepdim=True)  # [T, 1, C, 1, 1]
    var = h.var(dim=(1, 3, 4), keepdim=True, unbiased=False)  # [T, 1, C, 1, 1]
    return (h - mean) / torch.sqrt(var + eps) * gamma.view(-1, 1, 1) + beta.view(-1, 1, 1)


class RelationModule(nn.Module):
    """g_ϕ: concatenated feature maps [T, P, 2C, s, s] -> relation scores [T, P] in [0, 1]."""

    def __init__(self, in_channels: int, side: int, channels: int = 64, units: int = 8) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(in_channels, channels, 3, padding=1),
                                    nn.Conv2d(channels, channels, 3, padding=1)])
        self.gammas = nn.ParameterList([nn.Parameter(torch.ones(channels)) for _ in range(2)])
        self.betas = nn.ParameterList([nn.Parameter(torch.zeros(channels)) for _ in range(2)])
        self.pools = []
        for _ in range(2):
            self.pools.append(side >= 2)
            side = side // 2 if side >= 2 else side
        self.hidden = nn.Linear(channels * side * side, units)
        self.out = nn.Linear(units, 1)

    def forward(self, pairs: Tensor) -> Tensor:
        t, p = pairs.shape[:2]
        h = pairs
        for conv, gamma, beta, pool in zip(self.convs, self.gammas, self.betas, self.pools):
            h = conv(h.flatten(0, 1))  # [T*P, channels, s, s]
            h = F.relu(task_batch_norm(h.view(t, p, *h.shape[1:]), gamma, beta))  # [T, P, channels, s, s]
            if pool:
                h = F.max_pool2d(h.flatten(0, 1), 2)  # [T*P, channels, s/2, s/2]
                h = h.view(t, p, *h.shape[1:])
        h = F.relu(self.hidden(h.reshape(t, p, -1)))  # [T, P, units]
        return torch.sigmoid(self.out(h)).squeeze(-1)  # [T, P]


class RelationNet(MetricLearner):
    """Relation Networks: a learned relation module compares class and query feature maps.

    Sung et al. (2018), eq. 1 (relation scores) and eq. 2 (mean squared error to 1 for the match).

    Args:
        learner: a ``ConvNet``; its ``embed`` output, ``features`` = hidden × s × s values, is read back as
            feature maps [hidden, s, s] (s = 1 for stride-2 learners, whose embedding is a spatial mean).
        task_type: must be ``"classification"``.
        meta_lr: Adam learning rate (the paper: 1e-3).
        channels: filters of the relation module's convolutions (the paper: 64).
        units: hidden units of its fully connected layer (the paper: 8).
    """

    name = "relation"

    def __init__(
        self, learner: Learner, task_type: str = "classification", meta_lr: float = 1e-3, *,
        channels: int = 64, units: int = 8,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        self.hparams = {"channels": check_int("channels", channels, 1), "units": check_int("units", units, 1)}
        self.side = math.isqrt(learner.features // learner.hidden)  # spatial side s of the feature maps
        self.relation = RelationModule(2 * learner.hidden, self.side, channels, units)

    def feature_maps(self, embedding: Tensor) -> Tensor:
        """Flat ConvNet features [T, B, F] -> feature maps [T, B, C, s, s] (``embed`` flattens channel-major)."""
        return embedding.view(*embedding.shape[:2], self.learner.hidden, self.side, self.side)

    def class_scores(self, support: Tensor, y_support: Tensor, query: Tensor, n_way: int) -> Tensor:
        """Relation scores r [T, Q, N] in [0, 1] of every query with every class."""
        classes = class_sums(self.feature_maps(support), y_support, n_way)  # [T, N, C, s, s], the K-shot sums
        queries = self.feature_maps(query)  # [T, Q, C, s, s]
        q = queries.shape[1]
        pairs = torch.cat([classes.unsqueeze(1).expand(-1, q, -1, -1, -1, -1),
                           queries.unsqueeze(2).expand(-1, -1, n_way, -1, -1, -1)], dim=3)  # [T, Q, N, 2C, s, s]
        return self.relation(pairs.flatten(1, 2)).view(-1, q, n_way)  # [T, Q, N]

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        support, query, n_way = self.episode(batch)
        scores = self.class_scores(support, batch.y_support, query, n_way)  # [T, Q, N]
        return F.mse_loss(scores, one_hot(batch.y_query, n_way))  # eq. 2, mean over pairs and tasks
