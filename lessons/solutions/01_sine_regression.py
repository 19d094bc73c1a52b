"""Code solutions to the exercises of lesson 01 (sine regression). Run: python lessons/solutions/01_sine_regression.py

Each function answers one exercise with the shipped 10-shot models (mlkit/checkpoints/sine-*.pt) and returns
its numbers; ``main`` prints them and checks the identities the exercises ask for.
"""
from __future__ import annotations

import torch

from mlkit.experiments.regression_runs import RunSpec, score
from mlkit.widgets.sine import adapt_to_task, load_sine_model


def exercise_1_best_alpha(method: str, shots: int = 10, seed: int = 0) -> tuple[float, dict[float, float]]:
    """The test-time α (one step) with the lowest MSE on the demo task, and the whole scan."""
    alphas = [round(10.0 ** e, 6) for e in torch.linspace(-3, 1, 17).tolist()]
    mses = {a: adapt_to_task(method, a, shots, 1, seed)["mse"] for a in alphas}
    return min(mses, key=mses.get), mses


def exercise_2_more_shots(n_tasks: int = 200) -> dict[int, float]:
    """The shipped MAML's query MSE with 5, 10 and 20 shots (one step, its own α)."""
    meta = load_sine_model("maml")
    return {k: score(meta, RunSpec("maml"), k_shot=k, n_tasks=n_tasks)["mean"] for k in (5, 10, 20)}


def exercise_3_metasgd_steps() -> dict[str, dict[str, float]]:
    """Per parameter of the shipped Meta-SGD model: mean, std and fraction of negative learned step sizes."""
    alphas = load_sine_model("metasgd").alphas
    return {n: {"mean": a.mean().item(), "std": a.std().item() if a.numel() > 1 else 0.0,
                "negative": (a < 0).float().mean().item()} for n, a in alphas.items()}


def main() -> None:
    torch.set_num_threads(1)
    for method in ("maml", "tnet"):
        best, mses = exercise_1_best_alpha(method)
        print(f"1. {method}: best test-time α {best:g} (MSE {mses[best]:.3f}); at α = 0.01: {mses[0.01]:.3f}")
        assert mses[best] <= mses[0.01]
    shots = exercise_2_more_shots()
    print("2. MAML with 5/10/20 shots: " + ", ".join(f"{k}: {v:.3f}" for k, v in shots.items()))
    for name, s in exercise_3_metasgd_steps().items():
        print(f"3. Meta-SGD α of {name}: mean {s['mean']:.4f}, std {s['std']:.4f}, negative {100 * s['negative']:.0f} %")


if __name__ == "__main__":
    main()
