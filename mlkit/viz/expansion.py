"""Plots and tables for notebook 05 (Weng 2018, "Reptile vs FOMAML", after Nichol, Achiam & Schulman 2018): the terms of the first-order expansion of the
MAML / first-order MAML / Reptile meta-gradients, their residuals against α on log-log axes, the A and B
coefficients of each method's expected gradient.
Each plotting function returns a closed figure (``mlkit.viz.tasks.finish``): end a notebook cell with it to show it."""
from __future__ import annotations

from typing import Mapping, Sequence

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


def plot_coefficients(found: Expectations):
    """Bars: the coefficients of A and of αB in each method's expected gradient, the predicted ones (hatched) beside the
    ones read off the exact gradients (with ±2 standard errors), and the size of each contribution ‖a·A‖, ‖α·b·B‖."""
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
    size_b = [found.alpha * found.coefficients[m][1] * norm_b for m in METHODS]
    ax_size.bar(x - 0.2, size_a, 0.4, color="0.75", label="‖a·A‖")
    ax_size.bar(x + 0.2, size_b, 0.4, color=[COLORS[m] for m in METHODS], label="‖α·b·B‖")
    ax_size.set_xticks(x, [LABELS[m] for m in METHODS], fontsize=8)
    ax_size.set_title(f"size of each contribution (α = {found.alpha:g})", fontsize=10)
    ax_size.legend(fontsize=8)
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
