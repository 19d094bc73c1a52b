"""Memory-Augmented Neural Network (Santoro et al. 2016), as Weng's survey summarises it (section "Model-Based").

An LSTM controller reads an episode one example per step. The label comes one step late: step t gets the input
(x_t, y_{t−1}) (one-hot, zeros at t = 0), so the network must keep x_t until its label arrives and bind the two
in memory. Every step the controller emits one key k_t per read head and
    1. writes with Least Recently Used Access: w^w_t = σ(α) w^r_{t−1} + (1 − σ(α)) w^lu_{t−1}, the least-used
       slot zeroed first, M_t(i) = M_{t−1}(i) + w^w_t(i) k_t;
    2. reads by content: w^r_t = softmax(cosine(k_t, M_t(i))), r_t = Σ_i w^r_t(i) M_t(i);
    3. updates usage: w^u_t = γ w^u_{t−1} + w^r_t + w^w_t, and w^lu_t marks its n smallest entries (n = reads);
    4. scores the classes: softmax(W [h_t, r_t]).
(the equations of ``mlkit/meta/memory.py``; Weng's text gives no equation numbers). Choices where the summary is
silent:
- images are embedded by the learner's ConvNet (``learner.embed``; its head is unused); batch norm normalises with
  the support set's statistics, which the queries then reuse, so each query is embedded on its own;
- the controller also receives the previous read vectors r_{t−1}, as an NTM controller does; the keys pass a tanh;
- α is learned, one scalar per read head, starting at ``alpha``; memory starts at 1e-6 everywhere, usage and
  the previous read weights at 0;
- episode = the support set (in a random order: episodes come sorted by class), one more step that only carries
  the last support label in (zero image features), then the queries. Each query is one step from the post-support
  state with a zero label, independently of the other queries: predictions do not depend on their order or number;
- loss: cross-entropy on the queries and, with ``support_loss`` (the paper scores every step), on the support steps
  whose class was already shown earlier in the episode (their label is known; first sightings are guesses).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_choice, check_int, check_range
from mlkit.learners import ConvNet
from mlkit.learners.conv import RunningStats
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.image_inputs import check_fixed_way_labels, check_image_classifier, check_images
from mlkit.meta.memory import cosine_weights, lrua_write, read, usage_update, write_weights
from mlkit.tasks.batch import TaskBatch


@dataclass
class MemoryState:
    """Everything carried from one step to the next, for B sequences."""

    h: Tensor  # [B, hidden] controller output
    c: Tensor  # [B, hidden] controller cell
    memory: Tensor  # [B, slots, key]
    usage: Tensor  # [B, slots] w^u
    read_weights: Tensor  # [B, H, slots] w^r
    read: Tensor  # [B, H*key] r, flattened over heads

    def repeat(self, n: int) -> "MemoryState":
        """Each of the B states n times in a row: [B*n, ...] (one copy per query)."""
        return MemoryState(*(v.repeat_interleave(n, dim=0) for v in vars(self).values()))


def repeated(labels: Tensor) -> Tensor:
    """Which steps show a class already shown earlier in the sequence: labels [T, S] -> bool [T, S]."""
    same = labels.unsqueeze(2) == labels.unsqueeze(1)  # [T, S, S], step i vs step j
    earlier = torch.ones_like(same[0]).tril(-1)  # [S, S], j < i
    return (same & earlier).any(-1)


def embed_support(learner: ConvNet, x_support: Tensor) -> tuple[Tensor, RunningStats]:
    """Support features [T, S, F] with the support set's batch-norm statistics, and those statistics, frozen, for
    embedding the queries one by one (``learner.embed(x_query, running=stats)``)."""
    stats = RunningStats.for_learner(learner, x_support.shape[0], momentum=1.0, device=x_support.device)
    support = learner.embed(x_support, running=stats)  # [T, S, F]
    stats.update = False
    return support, stats


def shuffled(x: Tensor, y: Tensor, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    """Each task's examples in its own random order (drawn on the CPU, the same on every device):
    x [T, S, ...], y [T, S] -> the same, permuted along S."""
    order = torch.rand(y.shape, generator=generator).argsort(1).to(y.device)  # [T, S]
    rows = torch.arange(y.shape[0], device=y.device).unsqueeze(1)  # [T, 1]
    return x[rows, order], y[rows, order]


class MANN(MetaLearner):
    """LSTM controller + external memory with LRUA writes (classification only).

    Santoro et al. (2016), as Weng (2018) summarises it: content-based reads, LRUA writes, labels one step late.

    Args:
        learner: a ``ConvNet``; its ``embed`` feeds the controller and its ``n_classes`` is N (the one-hot size).
        memory_slots, key_size: the memory M is [memory_slots, key_size].
        controller_size: LSTM hidden units.
        read_heads: n, the number of reads (and of keys, writes and least-used slots) per step, <= memory_slots.
        gamma: usage decay γ in [0, 1].
        alpha: initial value of the learned write gates α (σ(α) = weight of the last-read slots).
        support_loss: also score support steps whose class was seen earlier in the episode.
    """

    name = "mann"

    def __init__(
        self, learner: ConvNet, task_type: str = "classification", meta_lr: float = 1e-3, *,
        memory_slots: int = 128, key_size: int = 40, controller_size: int = 200, read_heads: int = 4,
        gamma: float = 0.95, alpha: float = 0.0, support_loss: bool = True,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        check_image_classifier(learner, task_type, "MANN embeds images with its embed")
        self.n_way = learner.n_classes
        self.slots = check_int("memory_slots", memory_slots, 1)
        self.key_size = check_int("key_size", key_size, 1)
        self.heads = check_int("read_heads", read_heads, 1, self.slots)
        self.gamma = check_range("gamma", gamma, 0.0, 1.0)
        self.support_loss = check_choice("support_loss", support_loss, (True, False))
        hidden = check_int("controller_size", controller_size, 1)
        self.hparams = {
            "memory_slots": self.slots, "key_size": self.key_size, "controller_size": hidden,
            "read_heads": self.heads, "gamma": self.gamma, "alpha": check_range("alpha", alpha, -20.0, 20.0),
            "support_loss": self.support_loss,
        }
        reads = self.heads * self.key_size
        self.controller = nn.LSTMCell(learner.features + self.n_way + reads, hidden)
        self.key = nn.Linear(hidden, reads)
        self.alpha = nn.Parameter(torch.full((self.heads,), float(alpha)))  # [H]
        self.output = nn.Linear(hidden + reads, self.n_way)

    # ----- one step of the sequence -------------------------------------------------------------------------
    def initial_state(self, batch: int, like: Tensor) -> MemoryState:
        """The state before the first step of ``batch`` sequences: memory at 1e-6, everything else at 0."""
        hidden = self.controller.hidden_size
        zeros = lambda *shape: like.new_zeros(shape)  # noqa: E731
        return MemoryState(
            zeros(batch, hidden), zeros(batch, hidden), like.new_full((batch, self.slots, self.key_size), 1e-6),
            zeros(batch, self.slots), zeros(batch, self.heads, self.slots), zeros(batch, self.heads * self.key_size),
        )

    def step(self, features: Tensor, label: Tensor, state: MemoryState) -> tuple[Tensor, MemoryState]:
        """Input (x_t features [B, F], one-hot y_{t−1} [B, N]) -> class logits [B, N] and the next state."""
        h, c = self.controller(torch.cat([features, label, state.read], dim=-1), (state.h, state.c))  # [B, hidden]
        keys = torch.tanh(self.key(h)).view(-1, self.heads, self.key_size)  # [B, H, key]
        written = write_weights(torch.sigmoid(self.alpha), state.read_weights, state.usage)  # [B, H, slots]
        memory = lrua_write(state.memory, keys, written, state.usage)  # [B, slots, key]
        weights = cosine_weights(keys, memory)  # [B, H, slots]
        r = read(weights, memory).flatten(1)  # [B, H*key]
        usage = usage_update(state.usage, weights, written, self.gamma)  # [B, slots]
        logits = self.output(torch.cat([h, r], dim=-1))  # [B, N]
        return logits, MemoryState(h, c, memory, usage, weights, r)

    # ----- an episode ---------------------------------------------------------------------------------------
    def run_support(self, features: Tensor, labels: Tensor,
                    states: list[MemoryState] | None = None) -> tuple[Tensor, MemoryState]:
        """Support features [T, S, F] and labels [T, S] -> logits of every support step [T, S, N] and the state
        after one more step that carries the last label in. ``states``: a list to which the state after every
        step (the initial one first) is appended, for looking at the memory over an episode."""
        t, s = labels.shape
        onehot = F.one_hot(labels, self.n_way).to(features.dtype)  # [T, S, N]
        previous = torch.cat([torch.zeros_like(onehot[:, :1]), onehot], dim=1)  # [T, S+1, N], y_{t−1}
        inputs = torch.cat([features, torch.zeros_like(features[:, :1])], dim=1)  # [T, S+1, F]
        state, logits = self.initial_state(t, features), []
        if states is not None:
            states.append(state)
        for step in range(s + 1):
            out, state = self.step(inputs[:, step], previous[:, step], state)
            logits.append(out)
            if states is not None:
                states.append(state)
        return torch.stack(logits[:s], dim=1), state

    def query_logits(self, state: MemoryState, features: Tensor) -> Tensor:
        """Each query one step from the post-support state, with a zero label: features [T, Q, F] -> [T, Q, N]."""
        t, q = features.shape[:2]
        label = features.new_zeros(t * q, self.n_way)
        logits, _ = self.step(features.reshape(t * q, -1), label, state.repeat(q))
        return logits.view(t, q, self.n_way)

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        check_images("x_support", batch.x_support, self.learner)
        check_images("x_query", batch.x_query, self.learner)
        check_fixed_way_labels(batch.x_support, batch.y_support, self.n_way)
        t, s = batch.y_support.shape
        x_support, y_support = shuffled(batch.x_support, batch.y_support, None)  # global RNG, seeded by train
        support, stats = embed_support(self.learner, x_support)
        query = self.learner.embed(batch.x_query, running=stats)  # [T, Q, F]
        support_logits, state = self.run_support(support, y_support)
        losses = F.cross_entropy(self.query_logits(state, query).flatten(0, 1), batch.y_query.flatten(),
                                 reduction="none").view(t, -1)  # [T, Q]
        if not self.support_loss:
            return losses.mean()
        seen = repeated(y_support)  # [T, S]
        support_losses = F.cross_entropy(support_logits.flatten(0, 1), y_support.flatten(), reduction="none")
        scored = torch.cat([losses, support_losses.view(t, s)], dim=1)  # [T, Q+S]
        mask = torch.cat([torch.ones_like(losses, dtype=torch.bool), seen], dim=1)  # [T, Q+S]
        return ((scored * mask).sum(1) / mask.sum(1)).mean()

    def adapt(self, x_support: Tensor, y_support: Tensor, seed: int | None = 0) -> Predictor:
        """Run the controller over the support set, keep its state and memory; ``predict`` continues from there.

        ``seed``: the support set is read in an order drawn by a private generator with this seed (the same support
        always gives the same predictions, in the random kind of order seen in meta-training); None keeps the
        given order.
        """
        check_images("x_support", x_support, self.learner)
        check_fixed_way_labels(x_support, y_support, self.n_way)
        t = y_support.shape[0]
        if seed is not None:
            generator = torch.Generator().manual_seed(check_int("seed", seed, 0))
            x_support, y_support = shuffled(x_support, y_support, generator)
        with torch.no_grad():
            support, stats = embed_support(self.learner, x_support)
            _, state = self.run_support(support, y_support)

        def scores(x_query: Tensor) -> Tensor:
            check_images("x_query", x_query, self.learner)
            if x_query.shape[0] != t:
                raise ValueError(f"x_query must hold the {t} tasks of the support set, got {x_query.shape[0]}")
            return self.query_logits(state, self.learner.embed(x_query, running=stats)).softmax(-1)  # [T, Q, N]

        extras: dict[str, Any] = {"memory": state.memory, "usage": state.usage, "read_weights": state.read_weights}
        return Predictor(scores, self.task_type, extras)
