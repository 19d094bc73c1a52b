"""Plots and tables for notebook 05 (Weng 2018, "Reptile vs FOMAML", after Nichol, Achiam & Schulman 2018): the terms of the first-order expansion of the
MAML / first-order MAML / Reptile meta-gradients, their residuals against α on log-log axes, the A and B
coefficients of each method's expected gradient.
Each plotting function returns a closed figure (``mlkit.viz.tasks.finish``): end a notebook cell with it to show it."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from torch import Tensor

from mlkit.analysis.expansion import METHODS, Expansion, Expectations, loglog_slope
from mlkit.viz.tasks import finish

LABELS = {"maml": "MAML", "fomaml": "first-order MAML", "reptile": "Reptile"}
COLORS = {"maml": "tab:blue", "fomaml": "tab:orange", "reptile": "tab:green"}


def term_rows(terms: Expansion, exact: Mapping[str, Tensor], alpha: float, task: int = 0) -> list[tuple[str, float]]:
    """(name, Euclidean norm) of every term of one task: the gradients g(i), the products H(j)g(i), and for each
    method its zeroth-order term, α × first-order term, the exact meta-gradient and the residual."""
    rows = [(f"g(i={i})", float(g[task].norm())) for i, g in terms.gradients.items()]
    rows += [(f"H(j={j}) g(i={i})", float(p[task].norm())) for (i, j), p in terms.products.items()]
    approx = terms.predict(alpha)
    for m in METHODS:
        rows += [
            (f"{LABELS[m]}: zeroth-order term", float(terms.zeroth[m][task].norm())),
            (f"{LABELS[m]}: α × first-order term", float(alpha * terms.first[m][task].norm())),
            (f"{LABELS[m]}: exact meta-gradient", float(exact[m][task].norm())),
            (f"{LABELS[m]}: residual", float((exact[m][task] - approx[m][task]).norm())),
        ]
    return rows


def format_rows(rows: Sequence[tuple[str, float]]) -> str:
    """A two-column text table with 3 significant digits (stable enough to print in a checked notebook)."""
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value:.3g}" for name, value in rows)


def plot_residuals(alphas: Sequence[float], found: Mapping[str, np.ndarray], alpha: float | None = None,
                   title: str = "residual of the first-order expansion", ax=None):
    """‖exact − first-order expansion‖ against α on log-log axes, with an α² guide; ``alpha`` marks a vertical line."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5.6, 3.8))
    alphas = np.asarray(alphas, dtype=float)
    for m in METHODS:
        values = np.asarray(found[m], dtype=float)
        slope = loglog_slope(alphas, values) if np.all(values > 0) else float("nan")
        ax.plot(alphas, np.maximum(values, 1e-300), marker="o", ms=3, color=COLORS[m],
                ls="--" if m == "reptile" else "-", label=f"{LABELS[m]} (slope {slope:.2f})")
    top = max(float(np.max(found[m])) for m in METHODS)
    if top > 0:
        ax.plot(alphas, top * (alphas / alphas[-1]) ** 2, color="0.6", lw=1, ls=":", label="∝ α²")
    if alpha is not None:
        ax.axvline(alpha, color="0.3", lw=0.8)
    ax.set_xscale("log"), ax.set_yscale("log")
    ax.set_xlabel("inner step size α"), ax.set_ylabel("‖exact − expansion‖"), ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return finish(fig)


def plot_coefficients(found: Expectations, alpha: float | None = None, title: str = ""):
    """Bars: the coefficients of A and of αB in each method's expected gradient, the predicted ones (hatched) beside the
    ones read off the exact gradients (with ±2 standard errors), and the size of each contribution ‖a·A‖, ‖α·b·B‖ at
    the step size ``alpha`` (default: the α of the measurement; A and B themselves do not depend on α)."""
    size_alpha = found.alpha if alpha is None else float(alpha)
    fig, (ax_a, ax_b, ax_size) = plt.subplots(1, 3, figsize=(11, 3.4))
    x = np.arange(len(METHODS))
    for ax, term, index in ((ax_a, "A", 0), (ax_b, "B", 1)):
        predicted = [found.coefficients[m][index] for m in METHODS]
        pairs = [found.measured[m][term] or (np.nan, np.nan) for m in METHODS]  # None: no such pairs
        measured, errors = [p[0] for p in pairs], [2 * p[1] for p in pairs]
        ax.bar(x - 0.2, predicted, 0.4, color="white", edgecolor="0.3", hatch="//", label="predicted")
        ax.bar(x + 0.2, measured, 0.4, yerr=errors, color=[COLORS[m] for m in METHODS], capsize=3, label="measured")
        ax.set_xticks(x, [LABELS[m] for m in METHODS], fontsize=8)
        ax.set_title(f"coefficient of {'A' if term == 'A' else '−αB'}", fontsize=10)
        ax.legend(fontsize=8)
    norm_a, norm_b = np.linalg.norm(found.A.mean), np.linalg.norm(found.B.mean)
    size_a = [found.coefficients[m][0] * norm_a for m in METHODS]
    size_b = [size_alpha * found.coefficients[m][1] * norm_b for m in METHODS]
    ax_size.bar(x - 0.2, size_a, 0.4, color="0.75", label="‖a·A‖")
    ax_size.bar(x + 0.2, size_b, 0.4, color=[COLORS[m] for m in METHODS], label="‖α·b·B‖")
    ax_size.set_xticks(x, [LABELS[m] for m in METHODS], fontsize=8)
    ax_size.set_title(f"size of each contribution at α = {size_alpha:g}", fontsize=10)
    ax_size.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return finish(fig)


def plot_validation_curves(histories: Mapping[str, object], ylabel: str = "validation MSE after one SGD step",
                           title: str = ""):
    """The validation metric of several live runs (``{method: History}``) against the meta-iteration, one colour per
    method. The training losses are not drawn: Reptile's meta-loss ½‖θ − θ'‖² is not on the scale of the others'."""
    fig, ax = plt.subplots(figsize=(6.2, 3.4))
    for method, history in histories.items():
        ax.plot(history.val_steps, history.val_metric, marker="o", ms=3, color=COLORS.get(method),
                label=LABELS.get(method, method))
    ax.set_xlabel("meta-iteration"), ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    return finish(fig)


def plot_sweep(sweep: Mapping[str, Any], alpha: float, title: str = ""):
    """The α sweep (``mlkit.live.reptile.alpha_sweep``) at one step size: left, the three methods' validation curves
    (query MSE after one SGD step of α) when trained with ``alpha``; right, every method's test error after one step
    against α, with 95% intervals, the chosen α marked."""
    from mlkit.live.reptile import alpha_key

    runs = sweep["runs"][alpha_key(alpha)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.4), gridspec_kw={"width_ratios": [1.2, 1]})
    for m in METHODS:
        run = runs[m]
        left.plot(run["val_steps"], run["val_metric"], marker="o", ms=3, color=COLORS[m], label=LABELS[m])
    top = max(v for a in sweep["runs"].values() for r in a.values() for v in r["val_metric"] if np.isfinite(v))
    left.set_ylim(0, 1.05 * top)  # the same scale at every α, so that moving α moves the curves, not the axis
    left.set_xlabel("meta-iteration"), left.set_ylabel("validation MSE after one SGD step")
    left.set_title(f"trained with α = {alpha:g}", fontsize=10)
    left.legend(fontsize=8, loc="lower left")
    alphas = np.asarray(sweep["alphas"], dtype=float)
    for offset, m in zip((0.94, 1.0, 1.06), METHODS):
        tests = [sweep["runs"][alpha_key(a)][m]["test"] for a in alphas]
        means = np.array([np.nan if t is None else t["mean"] for t in tests])
        errors = np.array([np.nan if t is None else t["ci95"] for t in tests])
        right.errorbar(alphas * offset, means, yerr=errors, marker="o", ms=4, capsize=2, color=COLORS[m],
                       ls="--" if m == "reptile" else "-", label=LABELS[m])
    right.axvspan(alpha / 1.25, alpha * 1.25, color="0.85", zorder=0)
    right.set_xscale("log")
    right.set_xlabel("inner step size α"), right.set_ylabel(f"test MSE after one step ({sweep['n_tasks']} tasks)")
    right.set_title(f"after {sweep['iterations']} meta-iterations, at every α", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=10)
    return finish(fig)
