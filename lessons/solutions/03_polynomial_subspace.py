"""Code solutions to the exercises of lesson 03 (MT-net masks on polynomials, thesis §3.2 and §6.3).
Run: python lessons/solutions/03_polynomial_subspace.py"""
from __future__ import annotations

import torch

from mlkit.experiments.regression_runs import RunSpec, score
from mlkit.meta.masks import straight_through_mask
from mlkit.widgets.polynomial import load_polynomial_model


def exercise_1_gumbel(logits=(-2.0, 0.0, 1.5), temperatures=(0.5, 1.0, 2.0), samples: int = 200_000,
                      seed: int = 0) -> dict[tuple[float, float], float]:
    """Fraction of hard straight-through samples equal to 1, for each (ζ, temperature)."""
    torch.manual_seed(seed)
    zeta = torch.tensor(logits)
    return {(z, c): straight_through_mask(zeta, samples, c)[:, i].mean().item()
            for c in temperatures for i, z in enumerate(logits)}


def exercise_2_text_formula(order: int = 2) -> dict[str, tuple[float, float]]:
    """Per layer: (mean sigmoid(ζ), mean e^{−ζ}/(e^{−ζ}+1)) of the shipped MT-net of ``order``."""
    logits = load_polynomial_model(order).masks.logits
    return {k: (torch.sigmoid(z).mean().item(), (torch.exp(-z) / (torch.exp(-z) + 1)).mean().item())
            for k, z in logits.items()}


def exercise_3_units() -> dict[int, float]:
    """Expected number of updated units of the second hidden layer (w1) for each order."""
    return {n: load_polynomial_model(n).masks.probabilities()["w1"].sum().item() for n in (0, 1, 2)}


def exercise_4_mask_modes(order: int = 2, n_tasks: int = 200) -> dict[str, float]:
    """Test MSE (10 shots, one step) of the shipped model with each mask mode."""
    meta = load_polynomial_model(order)
    spec = RunSpec("mtnet", tasks="polynomial", order=order)
    return {mode: score(meta, spec, k_shot=10, n_tasks=n_tasks, mask_mode=mode)["mean"]
            for mode in ("sample", "expected", "hard")}


def main() -> None:
    torch.set_num_threads(1)
    for (z, c), p in exercise_1_gumbel().items():
        print(f"1. ζ = {z:4.1f}, temperature {c}: P(update) ≈ {p:.3f}, sigmoid(ζ) = {torch.sigmoid(torch.tensor(z)).item():.3f}")
        assert abs(p - torch.sigmoid(torch.tensor(z)).item()) < 0.01
    for layer, (ours, text) in exercise_2_text_formula().items():
        print(f"2. {layer}: mean sigmoid(ζ) {ours:.3f}, text's formula {text:.3f}, sum {ours + text:.3f}")
        assert abs(ours + text - 1) < 1e-5
    print("3. expected units updated in w1: " + ", ".join(f"order {n}: {u:.1f}" for n, u in exercise_3_units().items()))
    print("4. order-2 test MSE by mask mode: " + ", ".join(f"{m} {v:.3f}" for m, v in exercise_4_mask_modes().items()))


if __name__ == "__main__":
    main()
