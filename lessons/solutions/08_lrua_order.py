"""Lesson 08, exercise 2: in which order does LRUA write, and what protects a slot from being overwritten?

Run: python lessons/solutions/08_lrua_order.py

A memory of 4 slots, one head, σ(α) = 0 (every write goes to the least-used slot) and usage decay γ = 0.95, for
12 steps, with the operations of ``mlkit/meta/memory.py`` (Santoro et al. 2016, §3.2). Two read patterns: reads
spread evenly over the slots, and reads that always land on slot 0 (a memory that keeps being looked up).
"""
from __future__ import annotations

import torch

from mlkit.meta.memory import least_used_slots, usage_update, write_weights


def write_order(reads: torch.Tensor, steps: int = 12, gamma: float = 0.95) -> list[int]:
    """The slot each step writes to, for read weights ``reads`` [slots] used at every step."""
    slots = reads.numel()
    usage, last_read = torch.zeros(1, slots), torch.zeros(1, 1, slots)
    order = []
    for _ in range(steps):
        written = write_weights(torch.zeros(1), last_read, usage)  # [1, 1, slots]: one-hot on the least used
        order.append(int(written[0, 0].argmax()))
        last_read = reads.view(1, 1, slots)
        usage = usage_update(usage, last_read, written, gamma)
    assert order[0] == int(least_used_slots(torch.zeros(1, slots), 1)[0, 0])  # ties: the lowest index
    return order


def main() -> None:
    even = write_order(torch.full((4,), 0.25))
    focused = write_order(torch.tensor([1.0, 0.0, 0.0, 0.0]))
    print(f"reads spread evenly:   writes go to slots {even}")
    print(f"reads always on slot 0: writes go to slots {focused}")
    assert even == [0, 1, 2, 3] * 3  # plain least-recently-used: a cycle
    assert 0 not in focused[1:]  # a slot that is read stays in use and is never overwritten


if __name__ == "__main__":
    main()
