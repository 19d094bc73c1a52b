"""Plots for the polynomial notebook (Lee 2018, §6.3, Figure 6.1): the fraction of weights an MT-net updates
for each polynomial order, and which units of each layer its mask logits ζ switch on (P = sigmoid(ζ), eq. 3.7).
Each function returns a closed figure (``mlkit.viz.tasks.finish``): end a notebook cell with the call to show it."""
from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np
from torch import Tensor

from mlkit.viz.tasks import finish, outside_legend


def plot_update_fractions(result: Mapping[str, Any]):
    """Figure 6.1: fraction of weights updated per order, one bar group per layer plus all logits; dots are seeds."""
    runs = result["runs"]
    orders = sorted({r["order"] for r in runs})
    groups = list(runs[0]["layers"]) + ["all"]
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    width = 0.8 / len(orders)
    for i, order in enumerate(orders):
        mine = [r for r in runs if r["order"] == order]
        values = np.array([[r["overall"] if g == "all" else r["layers"][g] for g in groups] for r in mine])
        # values: [seeds, groups]
        x = np.arange(len(groups)) + (i - (len(orders) - 1) / 2) * width
        ax.bar(x, values.mean(0), width, label=f"order {order}", alpha=0.8)
        ax.scatter(np.repeat(x[None], len(mine), 0), values, color="black", s=8, zorder=3)
    ax.set_xticks(np.arange(len(groups)), [f"layer {g}" if g != "all" else "all logits" for g in groups], fontsize=8)
    ax.set_xlabel("layer"), ax.set_ylabel("fraction updated, mean sigmoid(ζ)"), ax.set_ylim(0, 1)
    outside_legend(ax)
    ax.set_title("MT-net on polynomials: updated fraction per order (dots: seeds)", fontsize=10)
    return finish(fig)


def plot_polynomial_tasks(orders=(0, 1, 2), n_tasks: int = 5, seed: int = 0):
    """A few random polynomials of each order, as the meta-training tasks of Figure 6.1 draw them."""
    import torch

    from mlkit.tasks.regression import PolynomialTasks

    fig, axes = plt.subplots(1, len(orders), figsize=(3.2 * len(orders), 2.6), sharey=True)
    grid = torch.linspace(-2.0, 2.0, 100).view(1, -1, 1).expand(n_tasks, -1, -1)  # [n, 100, 1]
    for ax, order in zip(np.atleast_1d(axes), orders):
        tasks = PolynomialTasks(order, meta_batch=n_tasks, seed=seed)
        curves = tasks.function(tasks.draw(n_tasks), grid)  # [n, 100, 1]
        ax.plot(grid[0, :, 0], curves[..., 0].T, lw=1.2)
        ax.set_title(f"order {order}", fontsize=10), ax.set_xlabel("x")
    np.atleast_1d(axes)[0].set_ylabel("y")
    fig.suptitle(f"{n_tasks} random polynomials of each order", fontsize=10)
    return finish(fig)


def plot_unit_probabilities(probabilities: Mapping[int, Mapping[str, Tensor]]):
    """For each order (row) and layer (column): P(unit updated) = sigmoid(ζ) of every unit, sorted."""
    orders = list(probabilities)
    layers = list(probabilities[orders[0]])
    fig, axes = plt.subplots(len(orders), len(layers), figsize=(2.6 * len(layers), 1.5 * len(orders)), squeeze=False)
    for i, order in enumerate(orders):
        for j, layer in enumerate(layers):
            p = probabilities[order][layer].detach().reshape(-1).sort(descending=True).values.numpy()
            ax = axes[i, j]
            ax.bar(range(len(p)), p, color="tab:red" if len(p) > 1 else "tab:purple")
            ax.axhline(0.5, color="0.5", lw=0.8, ls="--")
            ax.set_ylim(0, 1), ax.set_xticks([])
            if i == 0:
                ax.set_title(f"layer {layer} ({len(p)} unit{'s' * (len(p) > 1)})", fontsize=9)
            if j == 0:
                ax.set_ylabel(f"{order}\nP(updated)" if isinstance(order, str) else f"order {order}\nP(updated)",
                              fontsize=8)
            if i == len(orders) - 1:
                ax.set_xlabel("units, sorted", fontsize=8)
    fig.suptitle("P(unit updated) = sigmoid(ζ) of every unit (dashed: ½, where ζ = 0 starts)", fontsize=10)
    return finish(fig)


def plot_polynomial_fit(x_grid: Tensor, y_true: Tensor, y_adapted: Tensor, x_support: Tensor, y_support: Tensor,
                        title: str = ""):
    """A polynomial task: true curve, support points, the MT-net's adapted curve. All tensors 1-D."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(x_grid, y_true, color="0.55", lw=3, alpha=0.6, label="true polynomial")
    ax.plot(x_grid, y_adapted, color="tab:red", lw=1.6, label="MT-net after adaptation")
    ax.scatter(x_support, y_support, color="black", s=22, zorder=3, label="support")
    ax.set_xlabel("x"), ax.set_ylabel("y"), ax.set_title(title or "adapted curve", fontsize=10)
    outside_legend(ax)
    return finish(fig)
