"""What the training loop, ``evaluate`` and ``recipes.build`` need from a source of tasks: the ``Sampler`` protocol.

A sampler hands out meta-batches (``TaskBatch``: [tasks, examples, ...] tensors) from a seeded stream of tasks. The
loop needs four things of it: ``sample`` a meta-batch, save and restore its position in the stream
(``state_dict`` / ``load_state_dict``, for exact resume), and ``reseeded`` — a copy that starts a stream afresh,
which gives validation the same tasks every time and each process under torchrun its own tasks. ``SineTasks``,
``PolynomialTasks`` and ``EpisodeSampler`` satisfy it through ``SeededStream``; any class with these members does
(a ``typing.Protocol``: no base class needed). A classification sampler is also an ``EpisodeSource``.
"""
from __future__ import annotations

import copy
from typing import Any, Protocol, TypeVar, runtime_checkable

import torch

from mlkit.checks import check_int
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.images import ImageDataset

S = TypeVar("S", bound="SeededStream")


@runtime_checkable
class Sampler(Protocol):
    """A seeded stream of tasks: four attributes the loop reads and four methods.

    A plain class attribute or an instance attribute satisfies each of the (read-only) attributes.
    """

    @property
    def task_type(self) -> str:
        """``"regression"`` or ``"classification"``."""
        ...

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input x, e.g. (1,) for sine waves, (1, 28, 28) for Omniglot images."""
        ...

    @property
    def meta_batch(self) -> int:
        """Tasks per ``sample()`` call by default."""
        ...

    @property
    def seed(self) -> int:
        """The seed the stream started from."""
        ...

    def sample(self, n_tasks: int | None = None) -> TaskBatch:
        """The next ``n_tasks`` tasks of the stream (default ``meta_batch``)."""
        ...

    def reseeded(self, seed: int | None = None) -> Sampler:
        """A copy with the same settings and data whose stream starts at ``seed`` (default: this sampler's seed)."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """The position in the stream (for checkpoints)."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Go back to a position saved by ``state_dict``."""
        ...


@runtime_checkable
class EpisodeSource(Sampler, Protocol):
    """A classification ``Sampler`` (``EpisodeSampler``): ``recipes.build`` also reads its episodes' N and the split
    it draws from (a joint baseline's head covers every class of it)."""

    @property
    def n_way(self) -> int:
        """Classes per episode."""
        ...

    @property
    def dataset(self) -> ImageDataset:
        """The split the episodes come from (``n_classes``, ``image_shape``...)."""
        ...


class SeededStream:
    """The stream half of a sampler: a private ``torch.Generator`` seeded by ``seed``, its state, and ``reseeded``.

    A subclass draws every random number from ``self.generator``, so the same seed gives the same tasks on every
    machine and the position in the stream can be checkpointed and restored exactly.
    """

    seed: int
    generator: torch.Generator

    def _start_stream(self, seed: int) -> None:
        self.seed = check_int("seed", seed, 0)
        self.generator = torch.Generator().manual_seed(seed)

    def reseeded(self: S, seed: int | None = None) -> S:
        """A shallow copy (the same settings and data) whose stream starts at ``seed`` (default ``self.seed``).

        ``sampler.reseeded()`` draws the same tasks every time it is called: the training loop validates on it.
        """
        fresh = copy.copy(self)
        fresh._start_stream(self.seed if seed is None else seed)
        return fresh

    def state_dict(self) -> dict[str, Any]:
        """``{"generator": state}``: where the stream is."""
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the stream from a ``state_dict``."""
        self.generator.set_state(state["generator"])
