"""Content-addressed external memory: the cosine-softmax read and the LRUA write of MANN (Santoro et al. 2016).

The equations as Weng's survey gives them ("Meta-Learning: Learning to Learn Fast", 2018, section
"Addressing Mechanism for Meta-Learning"), for a memory M_t with one row M_t(i) per slot:

    read      w^r_t(i) = softmax_i( k_t · M_t(i) / (‖k_t‖ ‖M_t(i)‖) ),      r_t = Σ_i w^r_t(i) M_t(i)
    usage     w^u_t    = γ w^u_{t−1} + w^r_t + w^w_t
    least     w^lu_t(i) = 1 if w^u_t(i) ≤ m(w^u_t, n) else 0        (m(v, n): the n-th smallest entry of v)
    write     w^w_t    = σ(α) w^r_{t−1} + (1 − σ(α)) w^lu_{t−1}
              M_t(i)   = M_{t−1}(i) + w^w_t(i) k_t        after the least-used slot of M_{t−1} is set to zero

With several heads (n = number of reads) every head h has its own key, read weights and gate α_h. The n slots of
w^lu are shared out, one per head: head h's least-used weight is the one-hot of the h-th least-used slot, so the
heads' least-used weights sum to Weng's w^lu. Ties in usage go to the lower slot index (a stable sort), so the
choice is the same on every device. The cosine weights are also the attention of Meta Networks over its key memory.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int, check_range


def cosine_weights(keys: Tensor, memory: Tensor, eps: float = 1e-8) -> Tensor:
    """Softmax over the slots of the cosine similarity: keys [B, H, D], memory [B, slots, D] -> [B, H, slots]."""
    similarity = F.normalize(keys, dim=-1, eps=eps) @ F.normalize(memory, dim=-1, eps=eps).transpose(1, 2)
    return similarity.softmax(-1)  # [B, H, slots]


def read(weights: Tensor, memory: Tensor) -> Tensor:
    """r = Σ_i w(i) M(i): weights [B, H, slots], memory [B, slots, D] -> read vectors [B, H, D]."""
    return weights @ memory


def least_used_slots(usage: Tensor, n: int) -> Tensor:
    """Indices of the n least-used slots, least used first (ties: lower index first): usage [B, slots] -> [B, n]."""
    check_int("n", n, 1, usage.shape[-1])
    return usage.sort(dim=-1, stable=True).indices[..., :n]


def least_used(usage: Tensor, n: int) -> Tensor:
    """Weng's w^lu: 1 on the n least-used slots, 0 elsewhere: usage [B, slots] -> [B, slots]."""
    slots = least_used_slots(usage, n)  # [B, n]
    return torch.zeros_like(usage).scatter_(-1, slots, 1.0)


def write_weights(gate: Tensor, previous_read: Tensor, previous_usage: Tensor) -> Tensor:
    """w^w_t = σ(α) w^r_{t−1} + (1 − σ(α)) w^lu_{t−1}, one head per row.

    gate σ(α) [H] in [0, 1], previous read weights [B, H, slots], previous usage [B, slots] -> [B, H, slots].
    """
    heads, slots = previous_read.shape[1], previous_read.shape[2]
    lru = F.one_hot(least_used_slots(previous_usage, heads), slots).to(previous_read.dtype)  # [B, H, slots]
    g = gate.view(1, heads, 1)
    return g * previous_read + (1.0 - g) * lru


def lrua_write(memory: Tensor, keys: Tensor, weights: Tensor, previous_usage: Tensor) -> Tensor:
    """Zero the least-used slot of M_{t−1} (from w^u_{t−1}), then M_t(i) = M_{t−1}(i) + Σ_h w^w_{t,h}(i) k_{t,h}.

    memory [B, slots, D], keys [B, H, D], write weights [B, H, slots], previous usage [B, slots] -> [B, slots, D].
    """
    slot = least_used_slots(previous_usage, 1)  # [B, 1]
    keep = torch.ones_like(previous_usage).scatter_(-1, slot, 0.0)  # [B, slots]
    return memory * keep.unsqueeze(-1) + weights.transpose(1, 2) @ keys


def usage_update(usage: Tensor, read_weights: Tensor, written: Tensor, gamma: float) -> Tensor:
    """w^u_t = γ w^u_{t−1} + Σ_h w^r_{t,h} + Σ_h w^w_{t,h}.

    usage [B, slots], read and write weights [B, H, slots] -> [B, slots].
    """
    check_range("gamma", gamma, 0.0, 1.0)
    return gamma * usage + read_weights.sum(1) + written.sum(1)
