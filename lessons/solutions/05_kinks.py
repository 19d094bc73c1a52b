"""Lesson 05, exercise 4: where a ReLU unit changes side, the α² law of the residual ends.

For the demo task and k = 2, first-order MAML's meta-gradient is g^(1) at θ_1 = θ_0 − α g^(0). The expansion
assumes ∇L^(1) is smooth between θ_0 and θ_1; for a ReLU MLP it is smooth only as long as no hidden pre-activation
of a batch-(1) example changes sign. We scan α, find the first α where some sign flips, and compare with the α
where residual/α² (constant under the α² law) starts to move.
"""
import copy

import numpy as np
import torch

from mlkit.analysis import expansion_terms, residuals
from mlkit.live.reptile import demo_batches, demo_learner


def signs(learner, weights: dict, x: torch.Tensor) -> torch.Tensor:
    """Signs of every hidden pre-activation of the examples x [1, B, 1] (a ReLU MLP): [B, hidden units]."""
    h, out = x, []
    for i in range(learner.n_layers - 1):
        h = torch.baddbmm(weights[f"b{i}"].unsqueeze(1), h, weights[f"w{i}"])  # [1, B, out]
        out.append(h > 0)
        h = torch.relu(h)
    return torch.cat(out, -1)[0]


def main(task_seed: int = 0) -> dict:
    learner = copy.deepcopy(demo_learner()).double()  # a float64 copy; the cached model stays as it is
    batches = [(x.double(), y.double()) for x, y in demo_batches(task_seed)[:2]]
    g0 = expansion_terms(learner, "regression", batches, k=2).gradients[0][0]  # [P], flat in adaptable order
    theta = {n: p.detach().unsqueeze(0) for n, p in learner.named_parameters()}
    shapes = [(n, theta[n].shape) for n in learner.adaptable]
    step = dict(zip([n for n, _ in shapes], torch.split(g0, [s.numel() for _, s in shapes])))
    start = signs(learner, theta, batches[1][0])
    alphas = np.logspace(-4, -0.5, 200)
    first_flip = next((a for a in alphas if not torch.equal(
        signs(learner, {n: theta[n] - a * step[n].view_as(theta[n]) for n in theta}, batches[1][0]), start)), None)
    ratio = residuals(learner, "regression", batches, alphas, k=2)["fomaml"] / alphas ** 2
    moved = next((a for a, r in zip(alphas, ratio) if abs(r / ratio[0] - 1) > 0.2), None)
    print(f"first ReLU sign flip of a batch-(1) example at alpha = {first_flip:.3g}; "
          f"residual/alpha^2 moves by more than 20 % from alpha = {moved:.3g}")
    return {"first_flip": first_flip, "ratio_moves": moved}


if __name__ == "__main__":
    main()
