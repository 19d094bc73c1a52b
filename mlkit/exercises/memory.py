"""Checks of notebook 08's exercises: the memory of a MANN (Santoro et al. 2016, §3.1-3.2) and the fast weights of
Meta Networks (Munkhdalai & Yu 2017, §3), written by the student.

- ``check_cosine_read``: w^r_t(i) = softmax_i( k_t · M_t(i) / (‖k_t‖ ‖M_t(i)‖) ),  r_t = Σ_i w^r_t(i) M_t(i);
- ``check_update_usage``: w^u_t = γ w^u_{t−1} + w^r_t + w^w_t, and w^lu_t: 1 on the n smallest entries of w^u_t
  (n = number of reads), 0 elsewhere; on equal usage the lower slot first;
- ``check_write_weights``: w^w_t = σ(α) w^r_{t−1} + (1 − σ(α)) w^lu_{t−1};
- ``check_fast_weights``: Meta Networks' example-level fast weights ϕ⁺_i = G_v(∇_W L_i), one per support example,
  from the gradient of that example's cross-entropy loss with respect to the base learner's output layer W.

Each compares the student's function with mlkit's (``mlkit.meta.memory``, ``mlkit.meta.metanet``) on fixed small
inputs drawn from private generators, and names the mistakes it recognises. ``race_mann`` then puts the student's
three memory functions into mlkit's ``MANN`` (in place of mlkit's) and meta-trains it beside mlkit's own from the
same weights on the same sequences; ``lrua_order`` and ``with_your_fast_weights`` show the student's functions at
work on a small memory and inside the trained Meta Networks.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int
from mlkit.exercises.feedback import Hint, call, close, expect_tensor, largest_difference, student_function
from mlkit.exercises.race import Race, race
from mlkit.meta.lstm_meta import preprocess
from mlkit.meta.mann import MANN, MemoryState
from mlkit.meta.memory import cosine_weights, least_used, read, usage_update, write_weights
from mlkit.tasks.batch import TaskBatch

READ = "w^r_t(i) = softmax_i(k_t · M_t(i) / (‖k_t‖ ‖M_t(i)‖)), r_t = Σ_i w^r_t(i) M_t(i) (Santoro et al. 2016, §3.1)"
USAGE = "w^u_t = γ w^u_{t−1} + w^r_t + w^w_t (Santoro et al. 2016, §3.2)"
LEAST = "w^lu_t: 1 on the n slots of smallest usage w^u_t, 0 elsewhere (Santoro et al. 2016, §3.2)"
WRITE = "w^w_t = σ(α) w^r_{t−1} + (1 − σ(α)) w^lu_{t−1} (Santoro et al. 2016, §3.2)"
FAST = "ϕ⁺_i = G_v(∇_W L_i), one gradient per support example (Munkhdalai & Yu 2017, §3)"
TIES = ("on equal usage take the lower slot first: torch.argsort(usage, dim=-1, stable=True)[..., :n] gives the n "
        "least-used slots in that order (torch.topk does not promise an order among equal values)")


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _pair(value: Any, name: str, what: tuple[str, str]) -> tuple[Any, Any]:
    """``value`` as the two results an exercise returns, or a ``Hint`` that says so."""
    if isinstance(value, Tensor) or not isinstance(value, (tuple, list)) or len(value) != 2:
        got = f"a tensor of shape {tuple(value.shape)}" if isinstance(value, Tensor) else type(value).__name__
        raise Hint(f"`{name}` should return two tensors, ({what[0]}, {what[1]}); it returned {got}")
    return value[0], value[1]


# --- exercise 1: the content-based read ----------------------------------------------------------------------

def read_inputs(seed: int = 0) -> tuple[Tensor, Tensor]:
    """Keys [2, 2, 4] (2 sequences, 2 heads, key size 4) and a memory [2, 6, 4] whose rows have different norms
    (so that a dot product and a cosine rank the rows differently)."""
    g = _generator(100 + seed)
    keys = torch.randn(2, 2, 4, generator=g) * torch.tensor([0.5, 2.0]).view(1, 2, 1)
    scale = torch.tensor([0.3, 1.0, 3.0, 0.6, 2.0, 1.5]).view(1, 6, 1)
    return keys, torch.randn(2, 6, 4, generator=g) * scale


def reference_read(keys: Tensor, memory: Tensor) -> tuple[Tensor, Tensor]:
    """mlkit's read: the cosine-softmax weights [B, H, slots] and the read vectors [B, H, D]."""
    weights = cosine_weights(keys, memory)
    return weights, read(weights, memory)


def check_cosine_read(cosine_read: Any) -> None:
    """The student's ``cosine_read(keys, memory)`` returns (w^r_t, r_t) of Santoro et al. (2016), §3.1."""
    function = student_function(cosine_read, "cosine_read", ("keys", "memory"))
    keys, memory = read_inputs()
    keys.requires_grad_(True)
    weights, reads = _pair(call(function, "cosine_read", keys, memory), "cosine_read", ("weights", "reads"))
    weights = expect_tensor(weights, "the read weights", (2, 2, 6))
    reads = expect_tensor(reads, "the read vectors", (2, 2, 4))
    want_weights, want_reads = reference_read(keys, memory)
    if not close(weights, want_weights):
        k, m = keys.detach(), memory
        dots, cosines = k @ m.transpose(1, 2), F.normalize(k, dim=-1) @ F.normalize(m, dim=-1).transpose(1, 2)
        known = [
            (dots.softmax(-1), "the similarity is the plain dot product k_t · M_t(i): divide it by the norms "
                               "‖k_t‖ ‖M_t(i)‖ (the cosine), so that a row's length does not decide the read"),
            ((F.normalize(k, dim=-1) @ m.transpose(1, 2)).softmax(-1),
             "only the key is normalised: divide by the norm of every memory row too, ‖M_t(i)‖"),
            ((k @ F.normalize(m, dim=-1).transpose(1, 2)).softmax(-1),
             "only the memory rows are normalised: divide by the norm of the key too, ‖k_t‖"),
            (cosines.softmax(1), "the softmax runs over the heads: it must run over the memory slots (the last "
                                 "axis), so that each head's weights sum to 1 over the slots"),
            (cosines.softmax(0), "the softmax runs over the sequences of the batch: it must run over the memory "
                                 "slots (the last axis)"),
            (cosines, "the weights are the cosines themselves: w^r_t is their softmax over the slots"),
            (dots, "the weights are raw dot products: w^r_t is the softmax over the slots of the cosine similarity"),
        ]
        for want, hint in known:
            if close(weights, want):
                raise Hint(hint)
        sums = weights.detach().sum(-1)
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
            raise Hint("the read weights of a head do not sum to 1 over the slots: they should be a softmax over "
                       f"the last axis. {READ}")
        raise Hint(f"the read weights differ from {READ} (largest difference "
                   f"{largest_difference(weights, want_weights):.2g})")
    if not close(reads, want_reads):
        if close(reads, want_reads / memory.shape[1]):
            raise Hint("the read vector is the mean of the weighted rows: r_t is their sum, Σ_i w^r_t(i) M_t(i)")
        raise Hint("the read weights are right, the read vectors are not: r_t = Σ_i w^r_t(i) M_t(i), i.e. "
                   "weights @ memory ([B, H, slots] @ [B, slots, D])")
    if not weights.requires_grad:
        raise Hint("the read weights are cut off from the key (.detach(), .numpy() or torch.no_grad()): the "
                   "controller learns its keys through them")


# --- exercise 2: usage and the least-used slots ----------------------------------------------------------------

def usage_inputs(seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Previous usage [2, 6], read and write weights [2, 2, 6] (2 heads), all distinct; as in LRUA, the writes go
    mostly to the two slots that were least used before, so that the least-used slots change with the step."""
    g = _generator(200 + seed)
    usage = torch.rand(2, 6, generator=g) * 2
    reads = torch.rand(2, 2, 6, generator=g).softmax(-1)
    before = F.one_hot(usage.argsort(dim=-1, stable=True)[:, :2], 6).to(usage.dtype)  # [2, 2 heads, 6]
    writes = (torch.rand(2, 2, 6, generator=g) + 4 * before).softmax(-1)
    return usage, reads, writes


GAMMA = 0.9


def _mask(usage: Tensor, n: int, largest: bool = False) -> Tensor:
    order = usage.argsort(dim=-1, stable=True, descending=largest)[..., :n]
    return torch.zeros_like(usage).scatter_(-1, order, 1.0)


def check_update_usage(update_usage: Any) -> None:
    """The student's ``update_usage(usage, read_weights, write_weights, gamma, n)`` returns (w^u_t, w^lu_t)."""
    function = student_function(update_usage, "update_usage", ("usage", "read_weights", "write_weights", "gamma", "n"))
    usage, reads, writes = usage_inputs()
    n = 2
    got_usage, got_least = _pair(call(function, "update_usage", usage, reads, writes, GAMMA, n), "update_usage",
                                 ("usage", "least_used"))
    if isinstance(got_usage, Tensor) and tuple(got_usage.shape) == (2, 2, 6):
        raise Hint("the usage has a head axis: add up the read and the write weights of all heads (.sum(1)), so "
                   "that w^u_t is one number per slot, [B, slots]")
    got_usage = expect_tensor(got_usage, "the usage w^u_t", (2, 6))
    want = usage_update(usage, reads, writes, GAMMA)
    if not close(got_usage, want):
        r, w = reads.sum(1), writes.sum(1)
        known = [
            (usage + r + w, f"the old usage is not decayed: multiply w^u_{{t−1}} by γ. {USAGE}"),
            (usage + GAMMA * (r + w), f"γ decays the new reads and writes: it belongs on the old usage only. {USAGE}"),
            (GAMMA * (usage + r + w), f"γ decays everything: it belongs on the old usage only. {USAGE}"),
            (GAMMA * usage + w, f"the reads are missing: a slot that is read counts as used. {USAGE}"),
            (GAMMA * usage + r, f"the writes are missing: a slot that is written counts as used. {USAGE}"),
            (GAMMA * usage + reads.mean(1) + writes.mean(1),
             "the read and write weights are averaged over the heads: add them up (.sum(1))"),
            ((1 - GAMMA) * usage + r + w, f"the old usage is multiplied by 1 − γ; it is γ. {USAGE}"),
        ]
        for value, hint in known:
            if close(got_usage, value):
                raise Hint(hint)
        raise Hint(f"the usage differs from {USAGE} (largest difference {largest_difference(got_usage, want):.2g})")
    if isinstance(got_least, Tensor) and tuple(got_least.shape) == (2, n):
        raise Hint(f"w^lu_t holds slot numbers ([B, n]); it should be a 0/1 vector over all slots, [B, slots]: "
                   "put a 1 at each of those slots (torch.zeros_like(usage).scatter(-1, slots, 1.0))")
    if isinstance(got_least, Tensor) and got_least.dtype == torch.bool:
        raise Hint("w^lu_t holds True/False: make it a float tensor of 0s and 1s (.float())")
    got_least = expect_tensor(got_least, "the least-used weights w^lu_t", (2, 6))
    want_least = least_used(want, n)
    if not close(got_least, want_least):
        known = [
            (least_used(usage, n), "w^lu_t marks the least-used slots of the previous usage w^u_{t−1}: the wrong "
                                   "time step. Take the n smallest entries of the new usage w^u_t you just computed"),
            (_mask(want, n, largest=True), "w^lu_t marks the n most used slots: it must mark the n smallest usages"),
            (1 - want_least, "w^lu_t is 1 everywhere except on the least-used slots: it is the other way round, "
                             "1 on the n least-used slots and 0 elsewhere"),
            (least_used(want, 1), f"w^lu_t has a single 1: it marks the n = {n} least-used slots (n is the number "
                                  "of read heads)"),
        ]
        for value, hint in known:
            if close(got_least, value):
                raise Hint(hint)
        raise Hint(f"the least-used weights differ from {LEAST}")
    # equal usage: exactly n ones, on the lowest slots among the tied
    tied = torch.tensor([[0.9, 0.0, 0.0, 0.0, 0.0, 0.3]])
    zero = torch.zeros(1, 1, 6)
    _, tie_least = _pair(call(function, "update_usage", tied, zero, zero, 0.5, n), "update_usage",
                         ("usage", "least_used"))
    if isinstance(tie_least, Tensor) and tie_least.dtype == torch.bool:
        tie_least = tie_least.float()
    tie_least = expect_tensor(tie_least, "w^lu_t with equal usages", (1, 6))
    want_tie = least_used(0.5 * tied, n)
    if not close(tie_least, want_tie):
        ones = int(tie_least.detach().round().sum())
        if ones > n:
            raise Hint(f"with four slots of equal usage 0, w^lu_t has {ones} ones, not n = {n}: "
                       f"comparing with the n-th smallest value (≤) marks every tied slot. Mark exactly n slots; "
                       + TIES)
        raise Hint(f"with four slots of equal usage 0 (slots 1-4), w^lu_t marks slots "
                   f"{tie_least[0].nonzero().flatten().tolist()}; it should mark slots 1 and 2: " + TIES)


# --- exercise 3: the write weights ---------------------------------------------------------------------------

def write_inputs(seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """α [1] (one head), previous read weights [2, 1, 6], previous usage [2, 6] and the least-used weights [2, 6]
    made from it (one 1 each)."""
    g = _generator(300 + seed)
    previous_read = (2 * torch.randn(2, 1, 6, generator=g)).softmax(-1)
    previous_usage = torch.rand(2, 6, generator=g)
    return torch.tensor([0.8]), previous_read, previous_usage, least_used(previous_usage, 1)


def check_write_weights(write_weights_of: Any) -> None:
    """The student's ``write_weights(alpha, previous_read, previous_least_used)`` returns w^w_t [B, H, slots]."""
    function = student_function(write_weights_of, "write_weights", ("alpha", "previous_read", "previous_least_used"))
    alpha, previous_read, previous_usage, previous_least = write_inputs()
    alpha.requires_grad_(True)
    got = call(function, "write_weights", alpha, previous_read, previous_least)
    if isinstance(got, Tensor) and tuple(got.shape) == (2, 2, 6):
        raise Hint("w^w_t has shape (2, 2, 6), expected (2, 1, 6): previous_least_used is [B, slots] and "
                   "previous_read [B, H, slots]; give the least-used weights a head axis "
                   "(previous_least_used[:, None, :]) before mixing them")
    got = expect_tensor(got, "the write weights w^w_t", (2, 1, 6))
    gate = torch.sigmoid(alpha.detach()).view(1, 1, 1)
    lu = previous_least.unsqueeze(1)
    want = write_weights(torch.sigmoid(alpha.detach()), previous_read, previous_usage)  # mlkit's, from w^u_{t−1}
    if not close(got, want):
        a = alpha.detach().view(1, 1, 1)
        known = [
            (gate * previous_read, "the write weights ignore the least-used term: add (1 − σ(α)) w^lu_{t−1}, the "
                                   f"slot a new item goes to. {WRITE}"),
            ((1 - gate) * previous_read + gate * lu,
             f"σ(α) and 1 − σ(α) are swapped: σ(α) weighs the previous read weights. {WRITE}"),
            (a * previous_read + (1 - a) * lu,
             f"the gate is α itself: squash it first, σ(α) = torch.sigmoid(alpha), so it lies in (0, 1). {WRITE}"),
            (lu.expand_as(previous_read), f"every write goes to the least-used slot: the previous read weights are "
                                          f"missing. {WRITE}"),
            (previous_read, f"the writes go where the last read went: the least-used term is missing. {WRITE}"),
            (gate * previous_read + lu, f"the least-used term is not weighted by 1 − σ(α). {WRITE}"),
            (previous_read + (1 - gate) * lu, f"the previous read weights are not weighted by σ(α). {WRITE}"),
        ]
        for value, hint in known:
            if close(got, value):
                raise Hint(hint)
        raise Hint(f"the write weights differ from {WRITE} (largest difference {largest_difference(got, want):.2g})")
    if not got.requires_grad:
        raise Hint("w^w_t is cut off from α (a float, .item(), .detach()): compute σ(α) with torch.sigmoid(alpha), "
                   "so that training can learn α")


# --- exercise 4: Meta Networks' fast weights --------------------------------------------------------------------

def fast_inputs(seed: int = 0) -> dict[str, Any]:
    """Features [5, 4] of 5 support examples, their labels (3 classes), the output layer W [4, 3] and b [3], and
    mlkit's G_v (a small ``MetaNet``'s example writer, built without touching the global random numbers)."""
    from mlkit.learners import ConvNet
    from mlkit.meta.metanet import MetaNet

    g = _generator(400 + seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(400 + seed)
        meta = MetaNet(ConvNet(1, 3, hidden=4, image_size=28, downsample="stride"), meta_hidden=6)
    with torch.no_grad():
        meta.learner.fc_w.copy_(torch.randn(4, 3, generator=g))
        meta.learner.fc_b.copy_(torch.randn(3, generator=g))
    return {"meta": meta, "features": torch.randn(5, 4, generator=g) * 2, "labels": torch.tensor([0, 2, 1, 2, 0])}


def writer(meta: Any) -> Callable[[Tensor], Tensor]:
    """G_v of a ``MetaNet``: gradients [..., F, N] -> fast weights [..., F, N], coordinate by coordinate (on the
    gradients preprocessed into log-magnitude and sign, as mlkit's Meta Networks reads them)."""
    def meta_learner(gradients: Tensor) -> Tensor:
        return meta.example_writer(preprocess(gradients)).squeeze(-1)
    return meta_learner


def reference_fast_weights(meta: Any, features: Tensor, labels: Tensor, create_graph: bool = True) -> Tensor:
    """mlkit's ϕ⁺ for one task: ``MetaNet.example_fast_weights`` on features [K, F], labels [K] -> [K, F, N]."""
    return meta.example_fast_weights(features[None], labels[None], create_graph=create_graph)[0]


def _gradients(features: Tensor, labels: Tensor, w: Tensor, b: Tensor, kind: str = "right") -> Tensor:
    """Per-example gradients ∇_W L_i [K, F, N] of the cross-entropy (``kind``: the checks' models of mistakes)."""
    logits = features @ w + (0 if kind == "no bias" else b)  # [K, N]
    onehot = F.one_hot(labels, w.shape[1]).to(features.dtype)
    error = logits - onehot if kind == "no softmax" else logits.softmax(-1) - onehot  # [K, N]
    grads = features.unsqueeze(-1) * error.unsqueeze(1)  # [K, F, N]
    if kind == "sum":
        return grads.sum(0, keepdim=True).expand_as(grads)
    if kind == "mean":
        return grads.mean(0, keepdim=True).expand_as(grads)
    return -grads if kind == "ascent" else grads


def check_fast_weights(example_fast_weights: Any) -> None:
    """The student's ``example_fast_weights(features, labels, weight, bias, meta_learner)`` returns ϕ⁺ [K, F, N]."""
    function = student_function(example_fast_weights, "example_fast_weights",
                                ("features", "labels", "weight", "bias", "meta_learner"))
    inputs = fast_inputs()
    meta, features, labels = inputs["meta"], inputs["features"], inputs["labels"]
    w, b = meta.learner.fc_w, meta.learner.fc_b
    G = writer(meta)
    got = call(function, "example_fast_weights", features, labels, w, b, G)
    if isinstance(got, Tensor) and tuple(got.shape) == (5, 3, 4):
        raise Hint("ϕ⁺ has shape (5, 3, 4), expected (5, 4, 3): each ϕ⁺_i has the shape of W, [F, N] (features × "
                   "classes); your gradients are transposed")
    if isinstance(got, Tensor) and tuple(got.shape) == (4, 3):
        raise Hint("ϕ⁺ has shape (4, 3), one matrix for the whole support set: there is one ϕ⁺_i per support "
                   "example, [K, F, N]")
    got = expect_tensor(got, "the fast weights ϕ⁺", (5, 4, 3))
    want = reference_fast_weights(meta, features, labels)
    if not close(got, want, atol=1e-5, rtol=1e-4):
        known = [
            (G(_gradients(features, labels, w, b, "sum")),
             "every ϕ⁺_i is the same: you took the gradient of the loss summed over the support set. Take one "
             f"gradient per example i, of its own loss L_i. {FAST}"),
            (G(_gradients(features, labels, w, b, "mean")),
             "every ϕ⁺_i is the same: you took the gradient of the mean loss over the support set. Take one "
             f"gradient per example i, of its own loss L_i. {FAST}"),
            (G(_gradients(features, labels, w, b, "ascent")),
             "the gradients have the wrong sign: ∇_W L_i = x_i (softmax(x_i W + b) − onehot(y_i))ᵀ, the direction "
             "in which the loss grows"),
            (_gradients(features, labels, w, b), "these are the gradients themselves: the fast weights are what the "
                                                 "meta-learner makes of them, meta_learner(gradients)"),
            (G(_gradients(features, labels, w, b, "no bias")), "the logits miss the bias: L_i is the cross-entropy "
                                                               "of x_i W + b"),
            (G(_gradients(features, labels, w, b, "no softmax")),
             "the gradients are of a loss on the raw logits: L_i is the cross-entropy of softmax(x_i W + b) against "
             "y_i (F.cross_entropy)"),
        ]
        for value, hint in known:
            if close(got, value, atol=1e-5, rtol=1e-4):
                raise Hint(hint)
        raise Hint(f"the fast weights differ from {FAST} (largest difference {largest_difference(got, want):.2g}): "
                   "L_i = F.cross_entropy(x_i @ weight + bias, y_i); its gradient with respect to weight, for each "
                   "i; then meta_learner(all K gradients)")
    probe = torch.randn(want.shape, generator=_generator(401))
    through = torch.autograd.grad((got * probe).sum(), w, allow_unused=True)[0]
    expected = torch.autograd.grad((want * probe).sum(), w)[0]
    if through is None or not close(through, expected, atol=1e-5, rtol=1e-3):
        raise Hint("the fast weights are right, but meta-training cannot reach W through the gradients: compute "
                   "them with torch.autograd.grad(..., create_graph=True) (or by hand, with tensor operations), as "
                   "mlkit's Meta Networks does when it meta-trains")


# --- the student's memory inside a MANN, trained ---------------------------------------------------------------

@dataclass
class _State(MemoryState):
    """mlkit's state plus the least-used weights w^lu_{t−1} [B, slots] that the student's ``update_usage`` made."""

    least_used: Tensor

    def repeat(self, n: int) -> "_State":
        return _State(*(v.repeat_interleave(n, dim=0) for v in vars(self).values()))


class StudentMANN(MANN):
    """mlkit's ``MANN`` whose memory step runs the student's three functions (one read head): the write weights
    from the previous read and least-used weights, the least-used slot erased and the key added, the read, and the
    usage with the next least-used weights. Everything else (ConvNet, controller, keys, output) is mlkit's."""

    functions: dict[str, Callable[..., Any]]

    def initial_state(self, batch: int, like: Tensor) -> _State:
        state = super().initial_state(batch, like)
        return _State(**vars(state), least_used=least_used(state.usage, self.heads))  # slot 0: all usages equal

    def step(self, features: Tensor, label: Tensor, state: MemoryState) -> tuple[Tensor, MemoryState]:
        assert isinstance(state, _State)
        b, slots, heads = features.shape[0], self.slots, self.heads
        h, c = self.controller(torch.cat([features, label, state.read], dim=-1), (state.h, state.c))
        keys = torch.tanh(self.key(h)).view(-1, heads, self.key_size)  # [B, H, key]
        written = expect_tensor(call(self.functions["write_weights"], "write_weights", self.alpha,
                                     state.read_weights, state.least_used), "write_weights' result",
                                (b, heads, slots))
        memory = state.memory * (1.0 - state.least_used).unsqueeze(-1) + written.transpose(1, 2) @ keys
        weights, r = _pair(call(self.functions["cosine_read"], "cosine_read", keys, memory), "cosine_read",
                           ("weights", "reads"))
        weights = expect_tensor(weights, "cosine_read's weights", (b, heads, slots))
        r = expect_tensor(r, "cosine_read's reads", (b, heads, self.key_size)).flatten(1)
        usage, least = _pair(call(self.functions["update_usage"], "update_usage", state.usage, weights, written,
                                  self.gamma, heads), "update_usage", ("usage", "least_used"))
        usage = expect_tensor(usage, "update_usage's usage", (b, slots))
        least = expect_tensor(least, "update_usage's least-used weights", (b, slots))
        logits = self.output(torch.cat([h, r], dim=-1))
        return logits, _State(h, c, memory, usage, weights, r, least)


def student_mann(reference: MANN, cosine_read: Any, update_usage: Any, write_weights_of: Any) -> StudentMANN:
    """A ``StudentMANN`` with the weights of ``reference`` (an mlkit ``MANN`` with one read head)."""
    if reference.heads != 1:
        raise ValueError(f"reference must have one read head (the notebook's network), got {reference.heads}")
    functions = {
        "cosine_read": student_function(cosine_read, "cosine_read", ("keys", "memory")),
        "update_usage": student_function(update_usage, "update_usage",
                                         ("usage", "read_weights", "write_weights", "gamma", "n")),
        "write_weights": student_function(write_weights_of, "write_weights",
                                          ("alpha", "previous_read", "previous_least_used")),
    }
    student = copy.deepcopy(reference)
    student.__class__ = StudentMANN
    student.functions = functions
    return student


def race_mann(cosine_read: Any, update_usage: Any, write_weights_of: Any, steps: int = 20, seed: int = 0,
              progress: bool = True, q_query: int = 1, lr: float = 1e-3) -> Race:
    """Meta-train a MANN with the student's memory functions and mlkit's ``MANN`` from the same initial weights
    (``build_mann(5, seed)``, the notebook's network) on the same ``steps`` meta-batches of 8 sequences of
    5 characters × 2 images (and ``q_query`` queries per character), each with Adam (step size ``lr``). The support
    order of every step is drawn from a seed of its own, the same for both runs.

    Two correct implementations that round differently (another order of the same sums) drift apart: with the
    reproduction's step size 1e-2, a MANN on its plateau amplifies a rounding difference about tenfold every seven
    steps (beyond a relative 1e-4 after 20-50 steps); with 1e-3 it stays below 1e-5 over 40 steps. The teacher's
    functions, written as mlkit's, agree exactly at either step size."""
    from mlkit.live.memory import QUICK, build_mann, sequences

    steps = check_int("steps", steps, 1)
    reference = build_mann(QUICK["n_way"], seed)
    problem = ""
    q_query = check_int("q_query", q_query, 1)
    sampler = sequences(QUICK["n_way"], QUICK["k_shot"], QUICK["meta_batch"], seed, q_query=q_query)
    batches = [sampler.sample() for _ in range(steps)]
    try:
        student: MANN | None = student_mann(reference, cosine_read, update_usage, write_weights_of)
    except Hint as hint:
        student, problem = None, str(hint)

    def trainer(model: MANN | None) -> Callable[[TaskBatch], float]:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr) if model is not None else None
        count = iter(range(steps))

        def step(batch: TaskBatch) -> float:
            if model is None or optimizer is None:
                raise Hint(problem)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(1000 * seed + next(count))  # the support order of this step (MANN.meta_loss)
                loss = model.meta_loss(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.item()
        return step

    return race("MANN", trainer(student), trainer(reference), batches, progress=progress, mlkit_kind="")


# --- the student's functions at work ---------------------------------------------------------------------------

def lrua_order(update_usage: Any, write_weights_of: Any, reads: Tensor, steps: int = 12,
               gamma: float = 0.95) -> dict[str, Any]:
    """Where LRUA writes, step by step, on a memory of ``reads.numel()`` slots with one head, σ(α) = 0 (every write
    on the least-used slot) and usage decay ``gamma``, when every step reads with the weights ``reads`` [slots].

    Runs the student's ``update_usage`` and ``write_weights``; if they are not ready yet, mlkit's, and says so.
    Returns the write weights [steps, slots], the usage after each step [steps, slots], the slot each step wrote
    most to, and ``"by"``: whose functions ran (``"your functions"``, or mlkit's and why not yours)."""
    slots = check_int("slots", reads.numel(), 1)
    alpha = torch.tensor([-math.inf])  # σ(α) = 0

    def mlkit_usage(usage: Tensor, r: Tensor, w: Tensor, g: float, n: int) -> tuple[Tensor, Tensor]:
        new = usage_update(usage, r, w, g)
        return new, least_used(new, n)

    def mlkit_write(a: Tensor, previous_read: Tensor, previous_least: Tensor) -> Tensor:
        gate = torch.sigmoid(a).view(1, -1, 1)
        return gate * previous_read + (1 - gate) * previous_least.unsqueeze(1)

    def run(usage_fn: Callable[..., Any], write_fn: Callable[..., Any]) -> dict[str, Any]:
        usage, last_read = torch.zeros(1, slots), torch.zeros(1, 1, slots)
        least = least_used(usage, 1)  # before the first step every usage is 0: slot 0
        writes, usages = [], []
        for _ in range(steps):
            written = expect_tensor(call(write_fn, "write_weights", alpha, last_read, least), "write_weights' result",
                                    (1, 1, slots))
            last_read = reads.view(1, 1, slots)
            usage, least = _pair(call(usage_fn, "update_usage", usage, last_read, written, gamma, 1),
                                 "update_usage", ("usage", "least_used"))
            usage = expect_tensor(usage, "update_usage's usage", (1, slots))
            least = expect_tensor(least, "update_usage's least-used weights", (1, slots))
            writes.append(written[0, 0].detach())
            usages.append(usage[0].detach())
        written_all = torch.stack(writes)
        return {"write": written_all, "usage": torch.stack(usages), "slots": written_all.argmax(1).tolist()}

    try:
        usage_fn = student_function(update_usage, "update_usage",
                                    ("usage", "read_weights", "write_weights", "gamma", "n"))
        write_fn = student_function(write_weights_of, "write_weights",
                                    ("alpha", "previous_read", "previous_least_used"))
        return {**run(usage_fn, write_fn), "by": "your functions"}
    except Hint as hint:
        return {**run(mlkit_usage, mlkit_write), "by": f"mlkit's functions: {str(hint).split(':')[0]}"}


def with_your_fast_weights(example_fast_weights: Any, meta: Any, batch: TaskBatch, seed: int = 0) -> dict[str, Any]:
    """The value memory of Meta Networks ``meta`` on the episodes of ``batch`` written with the student's
    ``example_fast_weights`` (one call per episode) in place of mlkit's, and the queries' logits read from it.

    Returns ``"agree"`` (the student's ϕ⁺ equal mlkit's within 1e-4), ``"largest_difference"``, the logits
    [T, Q, N] with the student's memory and with mlkit's, mlkit's attention of the queries over the support
    examples [T, Q, K], mlkit's ``"memory"`` (``mlkit.live.metanet.write_memory``), and ``"error"`` (None, or why
    the student's function could not be used: the logits are then mlkit's twice)."""
    from mlkit.live.metanet import read_memory, write_memory

    memory = write_memory(meta, batch, seed)  # mlkit's θ⁺ and value memory M, and the batch-norm statistics
    mlkit_read = read_memory(meta, memory, batch.x_query)
    mlkit_logits, attention = mlkit_read["logits"], mlkit_read["attention"]
    features, _ = _support_features(meta, batch)
    w, b, G = meta.learner.fc_w, meta.learner.fc_b, writer(meta)
    try:
        function = student_function(example_fast_weights, "example_fast_weights",
                                    ("features", "labels", "weight", "bias", "meta_learner"))
        with torch.enable_grad():
            values = torch.stack([expect_tensor(call(function, "example_fast_weights", features[t],
                                                     batch.y_support[t], w, b, G), "example_fast_weights' result",
                                                memory["values"].shape[1:]).detach()
                                  for t in range(batch.n_tasks)])
    except Hint as hint:
        return {"agree": False, "largest_difference": math.inf, "yours": mlkit_logits, "mlkit": mlkit_logits,
                "attention": attention, "memory": memory, "error": str(hint)}
    difference = largest_difference(values, memory["values"])
    yours = read_memory(meta, {**memory, "values": values}, batch.x_query)["logits"]
    return {"agree": difference <= 1e-4, "largest_difference": difference, "yours": yours, "mlkit": mlkit_logits,
            "attention": attention, "memory": memory, "error": None}


def _support_features(meta: Any, batch: TaskBatch) -> tuple[Tensor, Any]:
    """The base learner g's features of the support images [T, K, F] (support batch-norm statistics)."""
    from mlkit.meta.mann import embed_support

    with torch.no_grad():
        return embed_support(meta.learner, batch.x_support)
