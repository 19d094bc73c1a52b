"""Code solutions to the exercises of lesson 01 (sine regression). Run: python lessons/solutions/01_sine_regression.py

Each function answers one exercise with the shipped 10-shot models (mlkit/checkpoints/sine-*.pt) and returns
its numbers; ``main`` prints them and checks the identities the exercises ask for.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from mlkit.experiments.regression_runs import RunSpec, score
from mlkit.meta import MAML
from mlkit.tasks.batch import TaskBatch
from mlkit.widgets.sine import adapt_to_task, demo_task, load_sine_model


def mlp(x: torch.Tensor, w: dict[str, torch.Tensor]) -> torch.Tensor:
    """The 1-40-40-1 ReLU network on inputs [n, 1] with weights w (input-major, as mlkit stores them)."""
    h = F.relu(x @ w["w0"] + w["b0"])
    h = F.relu(h @ w["w1"] + w["b1"])
    return h @ w["w2"] + w["b2"]


def exercise_1_two_steps(alpha: float = 0.01, shots: int = 10, seed: int = 0) -> float:
    """Largest difference between two hand-written inner steps and ``adapt(steps=2)``."""
    meta, task = load_sine_model("maml"), demo_task(seed)
    x, y = task.x_support[0, :shots], task.y_support[0, :shots]  # [K, 1]
    weights = {n: p.detach() for n, p in meta.learner.named_parameters()}
    for _ in range(2):
        weights = {n: w.requires_grad_(True) for n, w in weights.items()}
        grads = torch.autograd.grad(F.mse_loss(mlp(x, weights), y), list(weights.values()))
        weights = {n: (w - alpha * g).detach() for (n, w), g in zip(weights.items(), grads)}
    by_hand = mlp(task.x_query[0], weights)
    by_mlkit = meta.adapt(x[None], y[None], steps=2, alpha=alpha).predict(task.x_query)[0]
    return (by_hand - by_mlkit).abs().max().item()


def exercise_2_meta_gradient(alpha: float = 0.01, shots: int = 10, seed: int = 0) -> float:
    """Largest difference between the hand-written second-order meta-gradient and MAML's backward pass."""
    meta = MAML(copy.deepcopy(load_sine_model("maml").learner), steps=1, alpha=alpha)
    task = demo_task(seed)
    batch = TaskBatch(task.x_support[:, :shots], task.y_support[:, :shots], task.x_query, task.y_query)
    meta.meta_loss(batch).backward()
    theta = dict(meta.learner.named_parameters())
    grads = torch.autograd.grad(F.mse_loss(mlp(batch.x_support[0], theta), batch.y_support[0]), list(theta.values()),
                                create_graph=True)
    theta_prime = {n: w - alpha * g for (n, w), g in zip(theta.items(), grads)}
    by_hand = torch.autograd.grad(F.mse_loss(mlp(batch.x_query[0], theta_prime), batch.y_query[0]), list(theta.values()))
    return max((h - p.grad).abs().max().item() for h, p in zip(by_hand, theta.values()))


def exercise_3_best_alpha(method: str, shots: int = 10, seed: int = 0) -> tuple[float, dict[float, float]]:
    """The test-time α (one step) with the lowest MSE on the demo task, and the whole scan."""
    alphas = [round(10.0 ** e, 6) for e in torch.linspace(-3, 1, 17).tolist()]
    mses = {a: adapt_to_task(method, a, shots, 1, seed)["mse"] for a in alphas}
    return min(mses, key=mses.get), mses


def exercise_4_more_shots(n_tasks: int = 200) -> dict[int, float]:
    """The shipped MAML's query MSE with 5, 10 and 20 shots (one step, its own α)."""
    meta = load_sine_model("maml")
    return {k: score(meta, RunSpec("maml"), k_shot=k, n_tasks=n_tasks)["mean"] for k in (5, 10, 20)}


def exercise_5_metasgd_steps() -> dict[str, dict[str, float]]:
    """Per parameter of the shipped Meta-SGD model: mean, std and fraction of negative learned step sizes."""
    alphas = load_sine_model("metasgd").alphas
    return {n: {"mean": a.mean().item(), "std": a.std().item() if a.numel() > 1 else 0.0,
                "negative": (a < 0).float().mean().item()} for n, a in alphas.items()}


def main() -> None:
    torch.set_num_threads(1)
    diff = exercise_1_two_steps()
    print(f"1. two steps by hand vs adapt(steps=2): max difference {diff:.1e}")
    assert diff < 1e-5
    diff = exercise_2_meta_gradient()
    print(f"2. hand-written meta-gradient vs MAML.meta_loss backward: max difference {diff:.1e}")
    assert diff < 1e-5
    for method in ("maml", "tnet"):
        best, mses = exercise_3_best_alpha(method)
        print(f"3. {method}: best test-time α {best:g} (MSE {mses[best]:.3f}); at α = 0.01: {mses[0.01]:.3f}")
        assert mses[best] <= mses[0.01]
    shots = exercise_4_more_shots()
    print("4. MAML with 5/10/20 shots: " + ", ".join(f"{k}: {v:.3f}" for k, v in shots.items()))
    for name, s in exercise_5_metasgd_steps().items():
        print(f"5. Meta-SGD α of {name}: mean {s['mean']:.4f}, std {s['std']:.4f}, negative {100 * s['negative']:.0f} %")


if __name__ == "__main__":
    main()
