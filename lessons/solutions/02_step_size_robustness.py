"""Code solutions to the written exercises of lesson 02 (a T-net's step, Lee 2018, §4.1 and Table 6.2): the bias
is preconditioned like the weights (exercise 1), and the robustness ratios of Table 6.2 (exercise 2). The notebook's
own exercises are solved in its teacher version.
Run: python lessons/solutions/02_step_size_robustness.py"""
from __future__ import annotations

import torch

from mlkit.experiments.report import load_result


def _cell(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    draw = lambda *shape: torch.randn(*shape, generator=g, dtype=torch.float64)  # noqa: E731  (float64: exact checks)
    return draw(8, 5), draw(8, 3), draw(5, 3), draw(3), draw(3, 3)  # x (8 inputs), target, W (5 -> 3), b, T


def exercise_1_bias(alpha: float = 0.1, seed: int = 0) -> float:
    """|h after one step on (W, b) − h predicted by −α (x ∇_A L + 1 ∇_c L) TᵀT|, for h = (xW + b)T."""
    x, target, W, b, T = _cell(seed)
    W, b = W.requires_grad_(True), b.requires_grad_(True)
    loss = 0.5 * (((x @ W + b) @ T - target) ** 2).sum()
    grad_W, grad_b = torch.autograd.grad(loss, (W, b))
    h_new = (x @ (W - alpha * grad_W) + (b - alpha * grad_b)) @ T
    A, c = (W @ T).detach().requires_grad_(True), (b @ T).detach().requires_grad_(True)  # the cell as h = xA + c
    grad_A, grad_c = torch.autograd.grad(0.5 * ((x @ A + c - target) ** 2).sum(), (A, c))
    h_pred = x @ A + c - alpha * (x @ grad_A + grad_c) @ T.T @ T
    return (h_new - h_pred).abs().max().item()


def exercise_2_robustness(result: dict | None = None) -> dict[str, dict[str, str]]:
    """Worst/best MSE ratio over α for each method, ours and the paper's."""
    result = result or load_result("step-size")
    out = {}
    for method in result["settings"]["methods"]:
        ours = [r["scores"][method]["mean"] for r in result["rows"]]
        paper = [r["paper"][method]["mean"] for r in result["rows"] if r["paper"][method]]
        finite = [v for v in ours if v is not None]
        ratio = "diverged" if len(finite) < len(ours) else f"{max(finite) / min(finite):.1f}"
        out[method] = {"ours": ratio, "paper": f"{max(paper) / min(paper):.1f}"}
    return out


def main() -> None:
    diff = exercise_1_bias()
    print(f"1. one step on (W, b) moves h by −α (x ∇_A L + 1 ∇_c L) TᵀT: max difference {diff:.1e}")
    assert diff < 1e-10
    for method, ratios in exercise_2_robustness().items():
        print(f"2. {method:6s} worst/best MSE over α: ours {ratios['ours']}, paper {ratios['paper']}")


if __name__ == "__main__":
    main()
