"""Build a task sampler from a name, for the command line and the notebooks.

``make_tasks("sine")``, ``make_tasks("polynomial", order=2)``, ``make_tasks("glyphs", split="test", n_way=5)``,
``make_tasks("omniglot", data_root="../shared/data/omniglot")``.
"""
from __future__ import annotations

from typing import Any

from mlkit.checks import check_choice

TASK_FAMILIES = ("sine", "sine-maml", "polynomial", "glyphs", "omniglot", "miniimagenet", "digits")


def make_dataset(name: str, split: str = "train", data_root: str | None = None, seed: int = 0, **kwargs: Any):
    """One split of an image dataset by name."""
    check_choice("tasks", name, ("glyphs", "omniglot", "miniimagenet", "digits"))
    if name in ("omniglot", "miniimagenet") and data_root is None:
        raise ValueError(f"data_root must be given for {name} (a folder holding its files), got None")
    if name == "glyphs":
        from mlkit.tasks.glyphs import Glyphs

        return Glyphs(split=split, seed=seed, **kwargs)
    if name == "omniglot":
        from mlkit.tasks.omniglot import Omniglot

        return Omniglot(data_root, split=split, seed=seed, **kwargs)
    if name == "miniimagenet":
        from mlkit.tasks.miniimagenet import MiniImageNet

        return MiniImageNet(data_root, split=split, **kwargs)
    from mlkit.tasks.digits import Digits

    return Digits(split=split, seed=seed, **kwargs)


def make_tasks(
    name: str, *, split: str = "train", k_shot: int = 10, q_query: int | None = None, n_way: int = 5,
    meta_batch: int = 4, seed: int = 0, order: int = 1, data_root: str | None = None, data_seed: int = 0,
):
    """A task sampler: regression families ignore ``split``/``n_way``; image families ignore ``order``.

    ``seed`` seeds the task stream; ``data_seed`` the dataset (glyph alphabet, class split).
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

    dataset = make_dataset(name, split=split, data_root=data_root, seed=data_seed)
    return EpisodeSampler(dataset, n_way, k_shot, q_query or 15, meta_batch, seed)
