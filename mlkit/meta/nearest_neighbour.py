"""Baseline-nearest-neighbor of Ravi & Larochelle (2017), §5.1.

The network is the joint classifier of the fine-tune baseline (trained on all meta-train classes at once, see
``FineTune.meta_loss``: this class inherits that pre-training, and loads FineTune checkpoints' weights). To meet a
new episode nothing is trained: support and query images are embedded by the network without its head, and each
query takes the label of its nearest support embedding (Euclidean distance).
"""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.meta.adapt_inputs import check_support, checked_queries
from mlkit.meta.base import Predictor
from mlkit.meta.finetune import FineTune


class NearestNeighbour(FineTune):
    """1-nearest-neighbour in the embedding of a jointly pre-trained classifier (classification only).

    Ravi & Larochelle (2017), §5.1, "baseline-nearest-neighbor".

    Args: as ``FineTune`` (``steps``/``lr``/``decay`` are unused by ``adapt``, kept so both baselines share one
    pre-trained checkpoint).
    """

    name = "nearest-neighbour"

    def adapt(self, x_support: Tensor, y_support: Tensor) -> Predictor:
        """No training: each query [T, Q, ...] takes the label of its nearest support embedding (Euclidean)."""
        if self.task_type != "classification":
            raise ValueError(f"task_type must be 'classification' for {self.name!r}, got {self.task_type!r}")
        n_way = check_support(self.learner, self.task_type, x_support, y_support, fixed_way=False)
        with torch.no_grad():
            support = self.learner.embed(x_support)  # [T, S, F]

        def scores(x_query: Tensor) -> Tensor:
            query = self.learner.embed(x_query)  # [T, Q, F]
            nearest = torch.cdist(query, support).argmin(-1)  # [T, Q], index of the closest support image
            labels = y_support.gather(1, nearest)  # [T, Q]
            return torch.nn.functional.one_hot(labels, n_way).float()  # [T, Q, N], a vote for one class

        return Predictor(checked_queries(scores, self.learner, x_support.shape[0]), self.task_type,
                         {"support_embedding": support})
