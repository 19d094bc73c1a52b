"""N-way K-shot episodes from an image dataset, a whole meta-batch at once.

Vinyals et al. (2016) §4.1: an episode picks N classes of a split, K labelled support images and Q query
images per class. Labels 0..N-1 are assigned to the chosen classes in a fresh random order every episode, so a
label never means the same class twice and a model cannot memorise classes. All T episodes of a meta-batch are
drawn with a few tensor ops (random keys + topk), not a Python loop.

``within_alphabet=True`` draws each episode's N classes from one alphabet (picked uniformly among the alphabets with
at least N classes): the one-shot classification task of Lake et al. (2015), where characters of the same alphabet
look alike and must still be told apart. ``augment`` (an ``AffineDistortion``) distorts every image of an episode
on its own, as Koch et al. (2015) did to their training images; a ``StrokeDistortion`` instead draws every image
afresh from randomly perturbed pen strokes (Omniglot only).
"""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.checks import check_choice, check_int
from mlkit.resources import check_batch_memory
from mlkit.tasks.augment import AffineDistortion, check_distortion
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.images import ImageDataset
from mlkit.tasks.sampler import SeededStream
from mlkit.tasks.stroke_augment import StrokeDistortion, check_strokes_dataset


class EpisodeSampler(SeededStream):
    """Samples meta-batches of N-way, K-shot, Q-query episodes from one split (a ``Sampler``).

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
        within_alphabet: draw every episode's classes from one alphabet (``dataset.alphabets``).
        augment: an ``AffineDistortion`` applied to every image (training episodes), a ``StrokeDistortion`` (every
            image drawn from perturbed strokes; a dataset with ``strokes(c)``, i.e. Omniglot), or None.
    """

    task_type = "classification"

    def __init__(
        self, dataset: ImageDataset, n_way: int = 5, k_shot: int = 1, q_query: int = 15,
        meta_batch: int = 4, seed: int = 0, within_alphabet: bool = False,
        augment: AffineDistortion | StrokeDistortion | None = None,
    ) -> None:
        self.dataset = dataset
        self.n_way = check_int("n_way", n_way, 1, dataset.n_classes)
        self.within_alphabet = check_choice("within_alphabet", within_alphabet, (True, False))
        self.augment = check_distortion(augment)
        if isinstance(augment, StrokeDistortion):
            check_strokes_dataset(dataset)
        if within_alphabet:
            self._alphabet_of_class, self._alphabets = self._alphabet_groups(dataset, n_way)
        self.k_shot = check_int("k_shot", k_shot, 1)
        self.q_query = check_int("q_query", q_query, 1)
        if k_shot + q_query > dataset.per_class:
            raise ValueError(
                f"k_shot + q_query must be <= {dataset.per_class} (the images per class of "
                f"{dataset.name} {dataset.split}), got {k_shot} + {q_query} = {k_shot + q_query}"
            )
        self.meta_batch = check_int("meta_batch", meta_batch, 1)
        self._start_stream(seed)
        self.input_shape = dataset.image_shape
        check_batch_memory(self)

    @staticmethod
    def _alphabet_groups(dataset: ImageDataset, n_way: int) -> tuple[Tensor, Tensor]:
        """(alphabet index of every class [classes], indices of the alphabets with >= ``n_way`` classes)."""
        names = list(getattr(dataset, "alphabets", dataset.class_names))
        alphabets = sorted(set(names))
        of_class = torch.tensor([alphabets.index(a) for a in names])  # [classes]
        sizes = torch.bincount(of_class, minlength=len(alphabets))  # [alphabets]
        if int(sizes.max()) < n_way:
            largest = alphabets[int(sizes.argmax())]
            raise ValueError(
                f"n_way must be <= {int(sizes.max())} (the most classes of one alphabet in {dataset.name} "
                f"{dataset.split}: {largest}) for episodes within one alphabet, got {n_way}")
        return of_class, torch.nonzero(sizes >= n_way).flatten()

    def _pick_classes(self, n_tasks: int) -> Tensor:
        """The classes behind labels 0..N-1 of every task: [T, N] (from one alphabet per task if asked)."""
        if not self.within_alphabet:
            return self._pick(n_tasks, self.dataset.n_classes, self.n_way)
        chosen = self._alphabets[torch.randint(len(self._alphabets), (n_tasks,), generator=self.generator)]  # [T]
        keys = torch.rand((n_tasks, self.dataset.n_classes), generator=self.generator)  # [T, classes] in [0, 1)
        keys = keys.masked_fill(self._alphabet_of_class.unsqueeze(0) != chosen.unsqueeze(1), -1.0)  # other alphabets last
        return keys.topk(self.n_way, dim=-1).indices

    def _pick(self, n_tasks: int, n_from: int, n_take: int, *lead: int) -> Tensor:
        """``n_take`` distinct indices out of ``n_from`` for every task: [T, *lead, n_take]."""
        keys = torch.rand((n_tasks, *lead, n_from), generator=self.generator)
        return keys.topk(n_take, dim=-1).indices

    def sample(self, n_tasks: int | None = None) -> TaskBatch:
        """A meta-batch of episodes; images are float32 in [0, 1]."""
        t = self.meta_batch if n_tasks is None else check_int("n_tasks", n_tasks, 1)
        if t > self.meta_batch:
            check_batch_memory(self, t, "n_tasks")
        n, k, q = self.n_way, self.k_shot, self.q_query
        classes = self._pick_classes(t)  # [T, N], label i <-> classes[:, i]
        examples = self._pick(t, self.dataset.per_class, k + q, n)  # [T, N, K+Q]
        images = self.dataset.images[classes.unsqueeze(-1), examples]  # [T, N, K+Q, *input_shape]
        if images.dtype == torch.uint8:  # pixels -> [0, 1]; float datasets (features) pass through
            images = images.float().div_(255.0)
        if isinstance(self.augment, StrokeDistortion):  # every image drawn from its own perturbed strokes
            images = self.augment.episodes(self.dataset, classes, examples, self.generator)
        elif self.augment is not None:  # every image its own distortion
            images = self.augment(images.reshape(-1, *self.input_shape), self.generator).view(images.shape)
        labels = torch.arange(n).view(1, n, 1).expand(t, n, k + q)  # [T, N, K+Q]
        shape = self.input_shape
        return TaskBatch(
            x_support=images[:, :, :k].reshape(t, n * k, *shape),
            y_support=labels[:, :, :k].reshape(t, n * k),
            x_query=images[:, :, k:].reshape(t, n * q, *shape),
            y_query=labels[:, :, k:].reshape(t, n * q),
            info={"classes": classes},
        )
