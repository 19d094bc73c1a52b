"""Lesson 08, exercise 1: how well can a sequence of N classes × K images be predicted from its labels alone?

Run: python lessons/solutions/08_label_counting.py

An image-free predictor that knows every class appears exactly K times does best by guessing, at each step, a label
with the most copies left (K minus how often it was shown), ties broken at random. This script simulates that
predictor on many random orders and prints its accuracy at the 1st, 2nd, ... image of a class: the ceiling of what
the label sequence alone allows, to set beside the notebook's control (images shuffled).
"""
from __future__ import annotations

import torch

from mlkit.live.memory import instance_numbers


def counting_accuracy(n_way: int = 5, k_shot: int = 10, n_sequences: int = 20000, seed: int = 0) -> dict[int, float]:
    """Accuracy by instance of the best image-free guess on ``n_sequences`` random orders of N × K labels."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n_way).repeat_interleave(k_shot)  # [S]
    order = torch.rand((n_sequences, labels.numel()), generator=generator).argsort(1)
    y = labels[order]  # [T, S] random orders
    seen = torch.nn.functional.one_hot(y, n_way).cumsum(1) - torch.nn.functional.one_hot(y, n_way)  # before t
    left = k_shot - seen  # [T, S, N] copies left of each label before step t
    ties = torch.rand(left.shape, generator=generator) * 0.5  # random tie-break, smaller than one copy
    guess = (left + ties).argmax(-1)  # [T, S]
    correct = (guess == y).float()
    instance = instance_numbers(y)
    return {i: correct[instance == i].mean().item() for i in range(1, k_shot + 1)}


def main() -> None:
    for n_way, k_shot in ((5, 10), (5, 2), (2, 10)):
        scores = counting_accuracy(n_way, k_shot)
        text = ", ".join(f"{i}: {100 * v:.1f} %" for i, v in scores.items())
        print(f"{n_way} classes x {k_shot} images, chance {100 / n_way:.1f} %: {text}")


if __name__ == "__main__":
    main()
