"""Lesson 06, exercise 4: the closed-form KL(N(μ, σ²) ‖ N(0, 1)) against its Monte-Carlo estimate.

Run: ``python lessons/solutions/06_kl.py`` (a second).
"""
from __future__ import annotations

import torch

from mlkit.meta.leo import gaussian_kl


def monte_carlo_kl(mean: float, std: float, samples: int, seed: int = 0) -> float:
    """Average of log q(z) − log p(z) over ``samples`` draws z ~ q = N(mean, std²), p = N(0, 1)."""
    g = torch.Generator().manual_seed(seed)
    z = mean + std * torch.randn(samples, generator=g, dtype=torch.float64)
    q, p = torch.distributions.Normal(mean, std), torch.distributions.Normal(0.0, 1.0)
    return float((q.log_prob(z) - p.log_prob(z)).mean())


def compare(mean: float = 0.5, std: float = 0.3, sizes=(10, 100, 1_000, 10_000, 100_000)) -> dict[int, float]:
    """{samples: |Monte-Carlo − closed form|}."""
    exact = float(gaussian_kl(torch.tensor(mean, dtype=torch.float64), torch.tensor(std, dtype=torch.float64)))
    return {n: abs(monte_carlo_kl(mean, std, n) - exact) for n in sizes}


if __name__ == "__main__":
    exact = float(gaussian_kl(torch.tensor(0.5), torch.tensor(0.3)))
    print(f"closed form: {exact:.4f}")
    for n, error in compare().items():
        print(f"{n:6d} samples: |error| = {error:.4f}")
