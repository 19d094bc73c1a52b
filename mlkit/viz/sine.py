"""Plots for the sine and step-size notebooks (Lee 2018, §6.1–6.2): adapted curves against the true sine,
loss after each inner step, Table 6.2 as curves over α, and the spectrum of the T-nets' metric TᵀT (eq. 4.3).
Each function returns a closed figure (``mlkit.viz.tasks.finish``): end a notebook cell with the call to show it."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
from torch import Tensor

from mlkit.viz.tasks import finish, outside_legend

METHOD_COLORS = {"maml": "tab:blue", "metasgd": "tab:orange", "tnet": "tab:green", "mtnet": "tab:red",
                 "finetune": "tab:purple"}
LABELS = {"maml": "MAML", "metasgd": "Meta-SGD", "tnet": "T-net", "mtnet": "MT-net", "mnet": "M-net",
          "mnet-full": "M-net-full", "mtnet-full": "MT-net-full", "finetune": "baseline (pretrained)"}


def plot_adaptation(x_grid: Tensor, y_true: Tensor, x_support: Tensor, y_support: Tensor,
                    curves: Mapping[str, Tensor], title: str = "", ax=None):
    """The true function (grey), the support points (black dots) and each method's adapted curve.

    x_grid, y_true: [n] or [n, 1]; x_support, y_support: [K] or [K, 1]; curves: {label: [n] or [n, 1]}.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 3.4))
    x = x_grid.reshape(-1)
    ax.plot(x, y_true.reshape(-1), color="0.55", lw=3, alpha=0.6, label="true sine")
    for label, y in curves.items():
        ax.plot(x, y.reshape(-1), color=METHOD_COLORS.get(label), lw=1.6, label=LABELS.get(label, label))
    ax.scatter(x_support.reshape(-1), y_support.reshape(-1), color="black", s=22, zorder=3, label="support")
    ax.set_xlabel("x"), ax.set_ylabel("y"), ax.set_title(title or "adapted curves against the true sine", fontsize=10)
    outside_legend(ax)
    return finish(fig)


def plot_steps_curves(curves: Mapping[str, Sequence[float]], title: str = "10-shot query MSE after each inner step"):
    """Query MSE after 0, 1, ..., n inner steps for each method: {method: [mse_0, mse_1, ...]}.

    ``None`` (a diverged adaptation) leaves a gap in the line.
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for method, values in curves.items():
        values = [float("nan") if v is None else v for v in values]
        ax.plot(range(len(values)), values, marker="o", ms=3, color=METHOD_COLORS.get(method),
                label=LABELS.get(method, method))
    ax.set_xlabel("inner gradient steps"), ax.set_ylabel("MSE"), ax.set_yscale("log"), ax.set_title(title, fontsize=10)
    outside_legend(ax)
    return finish(fig)


def plot_step_size(result: Mapping[str, Any]):
    """Table 6.2 as curves: 10-shot MSE against α, ours (solid) and the paper's (dashed); × marks a diverged run."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    rows = result["rows"]
    alphas = [r["alpha"] for r in rows]
    for method in result["settings"]["methods"]:
        color = METHOD_COLORS.get(method)
        ours = [r["scores"][method]["mean"] for r in rows]
        paper = [r["paper"][method]["mean"] if r["paper"][method] else None for r in rows]
        ax.plot(alphas, [v if v is not None else float("nan") for v in ours], marker="o", color=color,
                label=f"{LABELS.get(method, method)} (ours)")
        ax.plot(alphas, [v if v is not None else float("nan") for v in paper], ls="--", color=color, alpha=0.6,
                label=f"{LABELS.get(method, method)} (paper)")
        for a, r in zip(alphas, rows):
            if r["diverged_at"][method] is not None:
                ax.scatter([a], [r["scores"][method]["mean"] or ax.get_ylim()[1]], marker="x", s=60, color=color)
    ax.set_xscale("log"), ax.set_yscale("log"), ax.set_xlabel("inner step size α"), ax.set_ylabel("10-shot MSE")
    ax.set_title("Table 6.2: each α is its own meta-training run", fontsize=10)
    outside_legend(ax)
    return finish(fig)


def plot_metric_spectrum(result: Mapping[str, Any], method: str = "tnet"):
    """Mean eigenvalue of TᵀT per layer against α (log-log): how T rescales the step α (thesis eq. 4.3)."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    rows = [r for r in result["rows"] if method in r["metric"]]
    for layer in rows[0]["metric"][method]:
        ax.plot([r["alpha"] for r in rows], [r["metric"][method][layer]["mean"] for r in rows], marker="o", label=layer)
    ax.set_xscale("log"), ax.set_yscale("log"), ax.set_xlabel("α used for meta-training")
    ax.set_ylabel("mean eigenvalue of TᵀT")
    ax.set_title(f"{LABELS.get(method, method)}: learned metric", fontsize=10)
    outside_legend(ax, title="T of layer")
    return finish(fig)


def plot_effective_steps(steps: Mapping[float, Mapping[str, Mapping[str, float]]], title: str = ""):
    """Effective inner steps of T-nets per layer (thesis eq. 4.3): for each training α (one colour), α·λ over the
    eigenvalues λ of each layer's TᵀT (dot: mean, bar: min to max), and α itself, MAML's step (dashed).

    ``steps``: {α: {layer: {"min", "mean", "max"}}}, as ``mlkit.live.step_size.effective_steps`` gives them.
    """
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for i, (alpha, layers) in enumerate(steps.items()):
        names = list(layers)
        x = [j + 0.15 * (i - (len(steps) - 1) / 2) for j in range(len(names))]
        mean = [layers[n]["mean"] for n in names]
        low = [layers[n]["mean"] - layers[n]["min"] for n in names]
        high = [layers[n]["max"] - layers[n]["mean"] for n in names]
        bars = ax.errorbar(x, mean, yerr=[low, high], fmt="o", capsize=3, label=f"T-net trained with α = {alpha:g}")
        ax.axhline(alpha, color=bars[0].get_color(), ls="--", lw=1, label=f"MAML's step, α = {alpha:g}")
    ax.set_xticks(range(len(names)), [f"T of layer {n.lstrip('t')}" for n in names])
    ax.set_yscale("log"), ax.set_xlabel("layer"), ax.set_ylabel("effective step α·λ")
    ax.set_title(title or "effective steps of the T-nets (eq. 4.3)", fontsize=10)
    outside_legend(ax)
    return finish(fig)
