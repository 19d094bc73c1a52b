"""N-way K-shot episodes from an image dataset, a whole meta-batch at once.

Vinyals et al. (2016) §4.1: an episode picks N classes of a split, K labelled support images and Q query
images per class. Labels 0..N-1 are assigned to the chosen classes in a fresh random order every episode, so a
label never means the same class twice and a model cannot memorise classes. All T episodes of a meta-batch are
drawn with a few tensor ops (random keys + topk), not a Python loop.
"""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.checks import check_int
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.images import ImageDataset


class EpisodeSampler:
    """Samples meta-batches of N-way, K-shot, Q-query episodes from one split.

    Support examples are ordered by label ([label 0 × K, label 1 × K, ...]), queries likewise.
    ``info["classes"]`` [T, N] holds the dataset class behind each label (for joint pre-training baselines).

    Args:
        dataset: one split of an image dataset (or any object with ``images`` [classes, per_class, ...],
            ``n_classes``, ``per_class``, ``image_shape``, ``name``, ``split``, e.g. pre-computed features).
        n_way: classes per episode, 1..dataset.n_classes.
        k_shot: support images per class, >= 1.
        q_query: query images per class, >= 1; k_shot + q_query <= images per class.
        meta_batch: episodes per ``sample()`` call.
        seed: seed of the sampler's private generator.
    """

    task_type = "classification"

    def __init__(
        self, dataset: ImageDataset, n_way: int = 5, k_shot: int = 1, q_query: int = 15,
        meta_batch: int = 4, seed: int = 0,
    ) -> None:
        self.dataset = dataset
        self.n_way = check_int("n_way", n_way, 1, dataset.n_classes)
        self.k_shot = check_int("k_shot", k_shot, 1)
        self.q_query = check_int("q_query", q_query, 1)
        if k_shot + q_query > dataset.per_class:
            raise ValueError(
                f"k_shot + q_query must be <= {dataset.per_class} (the images per class of "
                f"{dataset.name} {dataset.split}), got {k_shot} + {q_query} = {k_shot + q_query}"
            )
        self.meta_batch = check_int("meta_batch", meta_batch, 1)
        self.seed = check_int("seed", seed, 0)
        self.generator = torch.Generator().manual_seed(seed)
        self.input_shape = dataset.image_shape

    def _pick(self, n_tasks: int, n_from: int, n_take: int, *lead: int) -> Tensor:
        """``n_take`` distinct indices out of ``n_from`` for every task: [T, *lead, n_take]."""
        keys = torch.rand((n_tasks, *lead, n_from), generator=self.generator)
        return keys.topk(n_take, dim=-1).indices

    def sample(self, n_tasks: int | None = None) -> TaskBatch:
        """A meta-batch of episodes; images are float32 in [0, 1]."""
        t = self.meta_batch if n_tasks is None else check_int("n_tasks", n_tasks, 1)
        n, k, q = self.n_way, self.k_shot, self.q_query
        classes = self._pick(t, self.dataset.n_classes, n)  # [T, N], label i <-> classes[:, i]
        examples = self._pick(t, self.dataset.per_class, k + q, n)  # [T, N, K+Q]
        images = self.dataset.images[classes.unsqueeze(-1), examples]  # [T, N, K+Q, *input_shape]
        if images.dtype == torch.uint8:  # pixels -> [0, 1]; float datasets (features) pass through
            images = images.float().div_(255.0)
        labels = torch.arange(n).view(1, n, 1).expand(t, n, k + q)  # [T, N, K+Q]
        shape = self.input_shape
        return TaskBatch(
            x_support=images[:, :, :k].reshape(t, n * k, *shape),
            y_support=labels[:, :, :k].reshape(t, n * k),
            x_query=images[:, :, k:].reshape(t, n * q, *shape),
            y_query=labels[:, :, k:].reshape(t, n * q),
            info={"classes": classes},
        )

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
