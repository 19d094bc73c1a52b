"""Plots for the polynomial notebook (Lee 2018, §6.3, Figure 6.1): the fraction of weights an MT-net updates
for each polynomial order (the seeds' mean and each seed's own trend), which units of each layer its mask logits ζ
switch on (P = sigmoid(ζ), eq. 3.7), and the masks of the student's MT-net while it trains beside mlkit's.
Each function returns a closed figure (``mlkit.viz.tasks.finish``): end a notebook cell with the call to show it.
A title passed in replaces the default one: a notebook states the figure's takeaway there."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from torch import Tensor

from mlkit.experiments.polynomial import COLLAPSED_RANGE
from mlkit.viz.race import smoothed
from mlkit.viz.tasks import finish, outside_legend


def plot_update_fractions(result: Mapping[str, Any], title: str = ""):
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
    ax.set_title(title or "MT-net on polynomials: updated fraction per order (dots: seeds)", fontsize=10)
    return finish(fig)


def collapsed(run: Mapping[str, Any]) -> bool:
    """An order-1/2 run whose adapted function stayed (nearly) a constant: its hidden masks got no signal."""
    return run["order"] > 0 and run["adapted_range"] < COLLAPSED_RANGE


def plot_fraction_by_seed(result: Mapping[str, Any], title: str = ""):
    """Figure 6.1's quantity two ways: left, the mean over seeds of the fraction updated (all logits, mean
    sigmoid(ζ)) per order, dots the seeds; right, each seed's fractions joined across the orders (paired by seed),
    hollow markers on the runs that collapsed (an order-1/2 run whose adapted function stayed a constant)."""
    runs = result["runs"]
    orders = sorted({r["order"] for r in runs})
    seeds = sorted({r["seed"] for r in runs})
    value = {(r["order"], r["seed"]): r for r in runs}
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.3), sharey=True)
    means = [np.mean([value[o, s]["overall"] for s in seeds]) for o in orders]
    left.bar(orders, means, 0.6, color="tab:red", alpha=0.35, label="mean over seeds")
    for o, m in zip(orders, means):
        left.text(o, 0.04, f"mean {m:.2f}", ha="center", fontsize=8)
        left.scatter([o] * len(seeds), [value[o, s]["overall"] for s in seeds], color="black", s=10, zorder=3)
    left.set_xticks(orders, [f"order {o}" for o in orders]), left.set_ylabel("fraction updated, mean σ(ζ)")
    left.set_ylim(0, 1.05), left.set_title("mean over seeds (dots: seeds)", fontsize=9)
    for s in seeds:
        ys = [value[o, s]["overall"] for o in orders]
        broken = any(collapsed(value[o, s]) for o in orders)
        line = right.plot(orders, ys, color="0.6" if broken else "tab:red", lw=1, alpha=0.8, zorder=1)[0]
        for o, y in zip(orders, ys):
            right.scatter([o], [y], s=22, zorder=2, color=line.get_color(),
                          facecolors="white" if collapsed(value[o, s]) else line.get_color())
    right.plot([], [], color="tab:red", label="seed without a collapsed run")
    right.plot([], [], color="0.6", label="seed with a collapsed run")
    right.scatter([], [], facecolors="white", edgecolors="0.4", s=22, label="collapsed run")
    right.set_xticks(orders, [f"order {o}" for o in orders]), right.set_title("each seed, paired", fontsize=9)
    outside_legend(right)
    fig.suptitle(title or "Fraction of weights updated by order: the mean, and each seed", fontsize=10)
    return finish(fig)


def plot_mask_fractions(fractions: Mapping[str, Mapping[str, Sequence[float]]], title: str = "", window: int = 10):
    """One panel per layer: the fraction of units the student's masks switched on per meta-iteration (thin: each
    meta-batch; dashed: running mean over ``window``), and mlkit's expected fraction mean σ(ζ) (thick), as
    ``mlkit.exercises.mtnet.race_mtnet`` records them."""
    layers = list(fractions["yours"])
    fig, axes = plt.subplots(1, len(layers), figsize=(3.1 * len(layers), 2.7), sharey=True, squeeze=False)
    for ax, layer in zip(axes[0], layers):
        yours, expected = list(fractions["yours"][layer]), list(fractions["expected"][layer])
        ax.plot(range(1, len(expected) + 1), expected, lw=4, alpha=0.35, color="tab:red", label="mlkit's mean σ(ζ)")
        if yours:
            ax.plot(range(1, len(yours) + 1), yours, lw=0.6, color="0.55", label="your masks, each meta-batch")
            running = smoothed(yours, window)
            ax.plot(np.arange(len(running)) + (window if len(yours) >= window else 1), running, lw=1.2, ls="--",
                    color="black", label=f"your masks, mean of {window}")
        ax.set_ylim(0, 1.05), ax.set_xlabel("meta-iteration")
        ax.set_title(f"layer {layer}", fontsize=9)
    axes[0, 0].set_ylabel("fraction of units updated")
    outside_legend(axes[0, -1])
    fig.suptitle(title or "The fraction of units your masks switched on, and the probability mlkit's ζ gives",
                 fontsize=10)
    return finish(fig)


def plot_polynomial_tasks(orders=(0, 1, 2), n_tasks: int = 5, seed: int = 0, title: str = ""):
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
    fig.suptitle(title or f"{n_tasks} random polynomials of each order", fontsize=10)
    return finish(fig)


def plot_unit_probabilities(probabilities: Mapping[Any, Mapping[str, Tensor]], title: str = ""):
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
    fig.suptitle(title or "P(unit updated) = sigmoid(ζ) of every unit (dashed: ½, where ζ = 0 starts)", fontsize=10)
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
