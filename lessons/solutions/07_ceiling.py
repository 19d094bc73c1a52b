"""Lesson 07, exercise 3: how much attention can a softmax over cosines put on the right class?

Ceiling 1 / (1 + (N-1) e^(c-1)) with c the lowest cosine (-1 in general, 0 for embeddings without negative
coordinates); a temperature tau (softmax of cos / tau) turns it into 1 / (1 + (N-1) e^((c-1)/tau)).

Run: ``python lessons/solutions/07_ceiling.py`` (instant).
"""
from __future__ import annotations

import math

import torch

from mlkit.live.metric import cosine_attention_ceiling


def ceiling(n_way: int, lowest: float, tau: float = 1.0) -> float:
    return 1 / (1 + (n_way - 1) * math.exp((lowest - 1) / tau))


def temperature_for(target: float, n_way: int, lowest: float) -> float:
    """The tau at which the ceiling equals ``target``: (c - 1) / log((1/target - 1) / (N - 1))."""
    return (lowest - 1) / math.log((1 / target - 1) / (n_way - 1))


if __name__ == "__main__":
    for n_way in (5, 20):
        for lowest in (-1.0, 0.0):
            cosines = torch.full((n_way,), lowest)
            cosines[0] = 1.0
            by_softmax = float(cosines.softmax(0)[0])  # one shot: the own image first
            assert math.isclose(by_softmax, cosine_attention_ceiling(n_way, lowest), rel_tol=1e-6)
            assert math.isclose(by_softmax, ceiling(n_way, lowest), rel_tol=1e-6)
            tau = temperature_for(0.9, n_way, lowest)
            print(f"N = {n_way:2d}, lowest cosine {lowest:+.0f}: ceiling {by_softmax:.3f}, "
                  f"lowest loss -log(ceiling) = {-math.log(by_softmax):.2f}; "
                  f"temperature for a ceiling of 0.9: {tau:.3f} (check {ceiling(n_way, lowest, tau):.3f})")
