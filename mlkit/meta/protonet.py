"""Prototypical Networks (Snell, Swersky & Zemel 2017), as in Weng's survey (section "Prototypical Networks").

Each class k of the support set is represented by its prototype, the mean embedding of its examples
(Snell et al. eq. 1):      c_k = 1/|S_k| Σ_{(x_i, y_i) ∈ S_k} f_φ(x_i);
a query x is classified by a softmax over the negative squared Euclidean distances to the prototypes (eq. 2):
                            p_φ(y = k | x) = exp(−‖f_φ(x) − c_k‖²) / Σ_k' exp(−‖f_φ(x) − c_k'‖²),
and training minimises J = −log p_φ(y = k | x) over the query set (Algorithm 1), averaged over queries and tasks.
The distance is the paper's squared Euclidean (Weng allows any differentiable d); f_φ is the learner's ConvNet
(``mlkit.meta.metric``).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from mlkit.learners import Learner
from mlkit.meta.metric import MetricLearner, class_sums
from mlkit.tasks.batch import TaskBatch


def squared_distances(query: Tensor, centres: Tensor) -> Tensor:
    """‖q − c‖² for every query [T, Q, F] and centre [T, N, F] -> [T, Q, N] (exact differences, no expansion)."""
    return (query.unsqueeze(2) - centres.unsqueeze(1)).pow(2).sum(-1)


class ProtoNet(MetricLearner):
    """Prototypical Networks: nearest class mean in a learned embedding (classification only).

    Snell, Swersky & Zemel (2017), eqs. 1–2: prototypes are class means, a softmax over −distances.

    Args:
        learner: a ``ConvNet`` (f_φ = its ``embed``).
        task_type: must be ``"classification"``.
        meta_lr: Adam learning rate (the paper: 1e-3, halved every 2000 episodes; here constant).
    """

    name = "protonet"

    def __init__(self, learner: Learner, task_type: str = "classification", meta_lr: float = 1e-3) -> None:
        super().__init__(learner, task_type, meta_lr)
        self.hparams = {}

    def class_scores(self, support: Tensor, y_support: Tensor, query: Tensor, n_way: int) -> Tensor:
        """Logits −‖f(x) − c_k‖² [T, Q, N] (eq. 2 before the softmax)."""
        prototypes = class_sums(support, y_support, n_way, mean=True)  # [T, N, F], eq. 1
        return -squared_distances(query, prototypes)  # [T, Q, N]

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        support, query, n_way = self.episode(batch)
        logits = self.class_scores(support, batch.y_support, query, n_way)  # [T, Q, N]
        return F.cross_entropy(logits.flatten(0, 1), batch.y_query.flatten())  # mean over tasks and queries
