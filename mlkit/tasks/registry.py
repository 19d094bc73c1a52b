"""Build a task sampler from a name, for the command line and the notebooks.

``make_tasks("sine")``, ``make_tasks("polynomial", order=2)``, ``make_tasks("glyphs", split="test", n_way=5)``,
``make_tasks("omniglot", split="test", n_way=20, k_shot=1, within_alphabet=True)`` (the shipped Omniglot subsets,
alphabets held out; ``data_root=`` reads another Omniglot folder).
"""
from __future__ import annotations

from typing import Any

from mlkit.checks import check_choice

TASK_FAMILIES = ("sine", "sine-maml", "polynomial", "glyphs", "omniglot", "miniimagenet", "digits")
IMAGE_FAMILIES = ("glyphs", "omniglot", "miniimagenet", "digits")


def make_dataset(name: str, split: str = "train", data_root: str | None = None, seed: int | None = None,
                 **kwargs: Any):
    """One split of an image dataset by name; ``seed`` seeds its class split (None: the dataset's default).

    Omniglot takes ``split_by`` ("alphabet" or "character") and ``rotations``; without ``data_root`` it reads the
    subsets shipped with mlkit.
    """
    check_choice("tasks", name, IMAGE_FAMILIES)
    if name == "miniimagenet" and data_root is None:
        raise ValueError("data_root must be given for miniimagenet (a folder holding its files), got None")
    seeded = {} if seed is None else {"seed": seed}
    if name == "glyphs":
        from mlkit.tasks.glyphs import Glyphs

        return Glyphs(split=split, **seeded, **kwargs)
    if name == "omniglot":
        from mlkit.tasks.omniglot import Omniglot

        return Omniglot(data_root, split=split, **seeded, **kwargs)
    if name == "miniimagenet":
        from mlkit.tasks.miniimagenet import MiniImageNet

        return MiniImageNet(data_root, split=split, **kwargs)
    from mlkit.tasks.digits import Digits

    return Digits(split=split, **seeded, **kwargs)


def make_tasks(
    name: str, *, split: str = "train", k_shot: int = 10, q_query: int | None = None, n_way: int = 5,
    meta_batch: int = 4, seed: int = 0, order: int = 1, data_root: str | None = None, data_seed: int | None = None,
    within_alphabet: bool = False, augment=None, **dataset_options: Any,
):
    """A task sampler: regression families ignore ``split``/``n_way``; image families ignore ``order``.

    ``seed`` seeds the task stream; ``data_seed`` the dataset (glyph alphabet, class split; None: its default).
    ``within_alphabet`` and ``augment`` go to the ``EpisodeSampler``; ``dataset_options`` (e.g. ``split_by``,
    ``rotations``) to the dataset.
    """
    check_choice("tasks", name, TASK_FAMILIES)
    if name in ("sine", "sine-maml"):
        from mlkit.tasks.regression import SineTasks

        variant = "thesis" if name == "sine" else "maml"
        return SineTasks(variant, k_shot=k_shot, q_query=q_query, meta_batch=meta_batch, seed=seed)
    if name == "polynomial":
        from mlkit.tasks.regression import PolynomialTasks

        return PolynomialTasks(order, k_shot=k_shot, q_query=q_query or 10, meta_batch=meta_batch, seed=seed)
    from mlkit.tasks.episodes import EpisodeSampler

    dataset = make_dataset(name, split=split, data_root=data_root, seed=data_seed, **dataset_options)
    return EpisodeSampler(dataset, n_way, k_shot, q_query or 15, meta_batch, seed, within_alphabet=within_alphabet,
                          augment=augment)
