"""Notebook 08's machinery: a memory-augmented network (MANN) meta-trained live on Omniglot sequences, its accuracy
by instance, and its memory over one episode.

Santoro et al. (2016) show an episode as a sequence: step t gets the image x_t and the label of the step before,
y_{t-1} (§2, their Figure 1), so a class's first image can only be guessed and every later one can be looked up
in memory. Their Table 1 scores the prediction at the 1st, 2nd, 3rd, 4th, 5th and 10th time a class appears
("instance"). Here an episode is N classes × K images per class in a random order (``EpisodeSampler`` with K
shots; ``MANN`` shuffles the support), and ``accuracy_by_instance`` scores every step before its label arrives.

A sequence with exactly K images of each class can be partly predicted from the labels alone: a class already
shown K times will not come again. ``shuffle_images=True`` is the control that measures this: every episode's
images are replaced by those of another episode (same labels, wrong pictures), so whatever accuracy remains comes
from the label sequence, not from remembering images.

Held-out characters: ``Omniglot(split_by="character")`` (164 / 15 / 63 characters of the shipped subsets).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checkpoint import SHIPPED as CHECKPOINTS, load_shipped
from mlkit.checks import check_choice, check_int
from mlkit.evaluate import Score, confidence_interval
from mlkit.learners import ConvNet
from mlkit.live import approx
from mlkit.meta.mann import MANN, MemoryState, embed_support, shuffled
from mlkit.meta.memory import least_used_slots, write_weights
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tasks.omniglot import Omniglot
from mlkit.train import History, train

# The network of the notebook and of ``python -m mlkit reproduce mann``: smaller than Santoro et al.'s (an LSTM of
# 200 units, 128 memory slots of 40 numbers, 4 read heads), so that it trains on a laptop CPU. α = −3 starts the
# writes almost entirely on the least-used slot.
NETWORK: dict[str, Any] = {"hidden": 16, "memory_slots": 16, "key_size": 16, "controller_size": 32, "read_heads": 1,
                           "alpha": -3.0}
META_LR = 1e-2
QUERIES = 5  # query images per class in training episodes (scored from the state after the sequence); with 5 the
# image-free solution (guessing from the label sequence) pays less, and the network leaves it within a few hundred
# steps (with 2, seed 0 had not after 1000)
# The live runs: the notebook's race (the student's memory inside a MANN beside mlkit's, ``race_mann``) and the claim
# tests' 1000-step run
QUICK = {"n_way": 5, "k_shot": 2, "steps": 1000, "meta_batch": 8}
INSTANCES = (1, 2, 3, 4, 5, 10)  # the columns of Santoro et al.'s Table 1


@lru_cache(maxsize=None)
def characters(split: str) -> Omniglot:
    """The shipped Omniglot characters of one split of the character split (train 164, val 15, test 63)."""
    return Omniglot(split=check_choice("split", split, ("train", "val", "test")), split_by="character")


@lru_cache(maxsize=None)
def shipped_mann(n_way: int = 5) -> MANN:
    """The MANN that ``python -m mlkit reproduce mann`` trained for ``n_way`` classes (5 or 15), read once."""
    return load_shipped(f"mann-{check_choice('n_way', n_way, (5, 15))}way.pt", MANN, "a MANN")


def build_mann(n_way: int = 5, seed: int = 0, memory_slots: int | None = None) -> MANN:
    """A fresh ``NETWORK``-sized MANN for ``n_way`` classes (one-hot labels of size N), seeded; ``memory_slots``
    replaces the network's 16 (the memory is state, not weights)."""
    torch.manual_seed(check_int("seed", seed, 0))
    options = {k: v for k, v in NETWORK.items() if k != "hidden"}
    if memory_slots is not None:
        options["memory_slots"] = check_int("memory_slots", memory_slots, 1)
    learner = ConvNet(1, check_int("n_way", n_way, 2), hidden=NETWORK["hidden"], image_size=28, downsample="stride")
    return MANN(learner, meta_lr=META_LR, **options)


def sequences(n_way: int, k_shot: int, meta_batch: int, seed: int, split: str = "train",
              q_query: int = QUERIES) -> EpisodeSampler:
    """Episodes of ``n_way`` characters × ``k_shot`` images (the sequence) and ``q_query`` queries per class."""
    return EpisodeSampler(characters(split), n_way, k_shot, q_query, meta_batch, seed)


def train_mann(meta: MANN, k_shot: int, steps: int, seed: int = 0, meta_batch: int = 8, progress: bool = True,
               checkpoint: str | Path | None = None, val_every: int | None = None, val_tasks: int = 40,
               q_query: int = QUERIES) -> History:
    """Meta-train ``meta`` on training sequences of K images per class and ``q_query`` queries per class;
    validation: query accuracy on the validation characters every ``val_every`` steps (default: five times)."""
    every = val_every or max(1, steps // 5)
    return train(meta, sequences(meta.n_way, k_shot, meta_batch, seed, q_query=q_query), steps,
                 val_sampler=sequences(meta.n_way, k_shot, 1, seed + 1, "val"), val_every=every,
                 val_tasks=val_tasks, checkpoint=checkpoint, device="cpu", seed=seed,
                 log_every=max(1, steps // 50), progress=progress)


def instance_numbers(labels: Tensor) -> Tensor:
    """Which time each step's class appears in its sequence, counting from 1: labels [T, S] -> [T, S]."""
    onehot = F.one_hot(labels)  # [T, S, C]
    return onehot.cumsum(1).gather(2, labels.unsqueeze(-1)).squeeze(-1)


@dataclass
class SequenceRun:
    """One pass of a MANN over T sequences: what it predicted at each step before seeing that step's label."""

    labels: Tensor  # [T, S] the labels in the order shown
    predictions: Tensor  # [T, S] the class predicted at each step
    instances: Tensor  # [T, S] 1 for a class's first image, 2 for its second...
    states: list[MemoryState] = field(default_factory=list)  # after each step (the initial state first), if recorded

    @property
    def correct(self) -> Tensor:
        return (self.predictions == self.labels).float()  # [T, S]


def run_sequences(meta: MANN, x: Tensor, y: Tensor, order_seed: int = 0, shuffle_images: bool = False,
                  record: bool = False) -> SequenceRun:
    """Show each sequence (support images x [T, S, 1, 28, 28], labels y [T, S]) to ``meta`` in the random order
    ``adapt`` uses (drawn with ``order_seed``), labels one step late. ``shuffle_images``: the control, every
    sequence gets the images of the next one (same labels, images of other characters)."""
    generator = torch.Generator().manual_seed(check_int("order_seed", order_seed, 0))
    x, y = shuffled(x, y, generator)
    if shuffle_images:
        if x.shape[0] < 2:
            raise ValueError(f"shuffle_images needs at least 2 sequences to swap images between, got {x.shape[0]}")
        x = x.roll(1, dims=0)  # sequence t gets sequence t-1's images
    states: list[MemoryState] = []
    with torch.no_grad():
        features, _ = embed_support(cast(ConvNet, meta.learner), x)  # [T, S, F]
        logits, _ = meta.run_support(features, y, states if record else None)  # [T, S, N]
    return SequenceRun(y, logits.argmax(-1), instance_numbers(y), states)


_SCORED: "weakref.WeakKeyDictionary[MANN, dict[tuple, dict[int, Score]]]" = weakref.WeakKeyDictionary()


def accuracy_by_instance(meta: MANN, n_way: int, k_shot: int, n_episodes: int = 200, seed: int = 0,
                         split: str = "test", shuffle_images: bool = False,
                         instances: tuple[int, ...] | None = None) -> dict[int, Score]:
    """Accuracy at the i-th image of a class, for every i in ``instances`` (default 1..K): mean and 95% interval
    over ``n_episodes`` held-out sequences of ``n_way`` classes × ``k_shot`` images (per-episode accuracy at that
    instance, i.e. over its N classes). The same ``seed`` gives the same episodes and orders, with or without
    ``shuffle_images``, so the two can be compared episode by episode (``paired_difference``).

    Results are kept per model object and its weights' versions (a weight changed in place, by training or
    ``load_state_dict``, is a new version): the same call twice, as a notebook's plain cell and its explorer make
    it, computes once."""
    key = (n_way, k_shot, n_episodes, seed, split, shuffle_images, None if instances is None else tuple(instances),
           tuple(p._version for p in meta.parameters()))
    known = _SCORED.setdefault(meta, {})
    if key not in known:
        known[key] = _accuracy_by_instance(meta, n_way, k_shot, n_episodes, seed, split, shuffle_images, instances)
    return dict(known[key])


def _accuracy_by_instance(meta: MANN, n_way: int, k_shot: int, n_episodes: int, seed: int, split: str,
                          shuffle_images: bool, instances: tuple[int, ...] | None) -> dict[int, Score]:
    n_way = check_int("n_way", n_way, 2, meta.n_way)
    k_shot = check_int("k_shot", k_shot, 1, characters(split).per_class - 1)
    n_episodes = check_int("n_episodes", n_episodes, 2)
    wanted = tuple(range(1, k_shot + 1)) if instances is None else instances
    for i in wanted:
        check_int("instances", i, 1, k_shot)
    batch = sequences(n_way, k_shot, n_episodes, seed, split, q_query=1).sample()
    run = run_sequences(meta, batch.x_support, batch.y_support, seed, shuffle_images)
    scores = {}
    for i in wanted:
        at = run.instances == i  # [T, S], N steps per sequence
        per_episode = (run.correct * at).sum(1) / at.sum(1)  # [T]
        scores[i] = confidence_interval(per_episode.numpy(), "accuracy")
    return scores


def live_text(score: Score) -> str:
    """A score of a live-trained model as ``"≈52.3 % ± ≈2.6"`` (both numbers marked as live, see ``approx``)."""
    return f"{approx(score.mean, 1, percent=True)} ± {approx(100 * score.ci95, 1)}"


def score_text(score: Score, live: bool = False) -> str:
    """An accuracy as ``"52.3 % ± 2.6"``, or with ``live=True`` (a model trained in the notebook) as ``live_text``
    gives it, both numbers after "≈"."""
    return live_text(score) if live else f"{100 * score.mean:.1f} % ± {100 * score.ci95:.1f}"


def number_text(value: float, digits: int = 3, live: bool = False) -> str:
    """``value`` with ``digits`` after the point; after "≈" when it comes from a model trained in the notebook."""
    return approx(value, digits) if live else f"{value:.{digits}f}"


def from_result(entry: dict[str, dict[str, float]]) -> dict[int, Score]:
    """Scores by instance as a result file stores them (``{"2": {"mean": 52.3, "ci95": 2.6, "n": 500}}``, in %)
    back as ``Score`` objects (fractions), for plotting."""
    return {int(i): Score(v["mean"] / 100, v["ci95"] / 100, int(v["n"]), "accuracy") for i, v in entry.items()}


def paired_difference(a: Score, b: Score) -> Score:
    """``a`` minus ``b``, episode by episode (both scored on the same episodes): mean and 95% interval."""
    if a.n != b.n:
        raise ValueError(f"a and b must be scored on the same episodes, got {a.n} and {b.n}")
    return confidence_interval(a.values - b.values, "accuracy")


def memory_traces(meta: MANN, run: SequenceRun) -> dict[str, Tensor]:
    """``memory_trace`` of every sequence of a recorded run at once: ``"write"`` and ``"read"`` [T, S+1, slots],
    ``"least_used"`` [T, S+1, H]."""
    if not run.states:
        raise ValueError("run has no recorded states: use run_sequences(..., record=True)")
    gate = torch.sigmoid(meta.alpha.detach())  # [H]
    writes, reads, least = [], [], []
    for before, after in zip(run.states[:-1], run.states[1:]):
        writes.append(write_weights(gate, before.read_weights, before.usage).sum(1))  # [T, slots]
        reads.append(after.read_weights.sum(1))
        least.append(least_used_slots(before.usage, gate.numel()))  # [T, H]
    return {"write": torch.stack(writes, 1), "read": torch.stack(reads, 1), "least_used": torch.stack(least, 1)}


def memory_trace(meta: MANN, run: SequenceRun, task: int = 0) -> dict[str, Tensor]:
    """Where sequence ``task`` of a recorded run wrote and read, step by step (Santoro et al. 2016, §3.2).

    Returns, for the S+1 steps (the S images, then the step that carries the last label in), summed over heads:
    ``"write"`` [S+1, slots] the LRUA write weights w^w_t = σ(α) w^r_{t-1} + (1 − σ(α)) w^lu_{t-1};
    ``"read"`` [S+1, slots] the read weights w^r_t; ``"least_used"`` [S+1, H] the H least-used slots before each
    step (H read heads: head h writes on the h-th least-used slot).
    """
    if not run.states:
        raise ValueError("run has no recorded states: use run_sequences(..., record=True)")
    check_int("task", task, 0, run.labels.shape[0] - 1)
    one = SequenceRun(run.labels[task : task + 1], run.predictions[task : task + 1], run.instances[task : task + 1],
                      [MemoryState(*(v[task : task + 1] for v in vars(state).values())) for state in run.states])
    return {name: value[0] for name, value in memory_traces(meta, one).items()}


def least_used_share(trace: dict[str, Tensor]) -> float:
    """The fraction of all write weight that went to the slots that were least used just before the write."""
    write = trace["write"]  # [S+1, slots]
    on_least = write.gather(1, trace["least_used"]).sum()
    return float(on_least / write.sum())


def read_on_earlier_images(meta: MANN, run: SequenceRun) -> dict[str, float]:
    """Mean read weight that a step puts on the slot where an earlier image was written (the slot with that step's
    largest write weight, not overwritten since), for earlier images of the same class and of other classes, over
    all sequences of a recorded run; a uniform read would give 1 / slots to both."""
    traces = memory_traces(meta, run)
    slot = traces["write"][:, :-1].argmax(2)  # [T, S] where each image went
    t_count, s_count = slot.shape
    steps = torch.arange(s_count)
    later = steps.view(1, 1, s_count) > steps.view(1, s_count, 1)  # [1, u, v]: v after u
    rewritten = (slot.unsqueeze(2) == slot.unsqueeze(1)) & later  # [T, u, v]: step v wrote image u's slot again
    next_write = torch.where(rewritten, steps.view(1, 1, s_count), s_count).min(2).values  # [T, u]
    u, t = steps.view(1, s_count, 1), steps.view(1, 1, s_count)
    kept = (u < t) & (t <= next_write.unsqueeze(2))  # [T, u, t]: image u still in its slot when step t reads
    read = traces["read"][:, :-1].gather(2, slot.unsqueeze(1).expand(-1, s_count, -1))  # [T, t, u]: w^r_t(slot u)
    read = read.transpose(1, 2)  # [T, u, t]
    same = run.labels.unsqueeze(2) == run.labels.unsqueeze(1)  # [T, u, t]
    mean = lambda mask: float(read[mask].sum() / max(1, int(mask.sum())))  # noqa: E731
    return {"same class": mean(kept & same), "other classes": mean(kept & ~same), "uniform": 1 / meta.slots}
