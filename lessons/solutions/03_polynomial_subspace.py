"""Code solutions to the written exercises of lesson 03 (MT-net masks on polynomials, Lee 2018, §3.2 and §6.3): the
expected number of units the shipped models update (exercise 1) and their error with each mask mode (exercise 2).
The notebook's own exercises (the mask, the masked step, the fraction updated) are solved in its teacher version.
Run: python lessons/solutions/03_polynomial_subspace.py"""
from __future__ import annotations

import torch

from mlkit.experiments.regression_runs import RunSpec, score
from mlkit.widgets.polynomial import load_polynomial_model


def exercise_1_units() -> dict[int, float]:
    """Expected number of updated units of the second hidden layer (w1), sum of sigmoid(ζ), for each order."""
    return {n: load_polynomial_model(n).masks.probabilities()["w1"].sum().item() for n in (0, 1, 2)}


def exercise_2_mask_modes(order: int = 2, n_tasks: int = 200) -> dict[str, float]:
    """Test MSE (10 shots, one step) of the shipped model with each mask mode."""
    meta = load_polynomial_model(order)
    spec = RunSpec("mtnet", tasks="polynomial", order=order)
    return {mode: score(meta, spec, k_shot=10, n_tasks=n_tasks, mask_mode=mode)["mean"]
            for mode in ("sample", "expected", "hard")}


def main() -> None:
    torch.set_num_threads(1)
    print("1. expected units updated in w1: " + ", ".join(f"order {n}: {u:.1f}" for n, u in exercise_1_units().items()))
    print("2. order-2 test MSE by mask mode: " + ", ".join(f"{m} {v:.3f}" for m, v in exercise_2_mask_modes().items()))


if __name__ == "__main__":
    main()
