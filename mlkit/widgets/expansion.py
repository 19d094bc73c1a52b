"""The α and k explorer of notebook 05: the first-order expansion of the three meta-gradients, recomputed live.

Weng (2018), "Reptile vs FOMAML", after Nichol, Achiam & Schulman (2018), §5: for one sine task, k mini-batches of
10 points and step size α, every term of the expansion (``mlkit.analysis.expansion``) is computed exactly in float64
and printed, and the residual of each method's first-order expansion is drawn against α on log-log axes (slope 2
where the expansion holds). The model is the sine MLP 1-40-40-1 after a few MAML steps (``demo_learner``, from
``mlkit.live.reptile``: at the initial θ every bias is 0 and every ReLU kink sits at x = 0, among the data), trained
once per process and cached, so a redraw takes a fraction of a second.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from IPython.display import display

from mlkit.analysis.expansion import METHODS, expansion_terms, meta_gradients, residuals
from mlkit.checks import check_int, check_positive
from mlkit.live.reptile import ALPHAS, MAX_K, POINTS, demo_batches, demo_learner
from mlkit.viz.expansion import LABELS, format_rows, plot_residuals, term_rows
from mlkit.widgets import explore

__all__ = ["ALPHAS", "MAX_K", "POINTS", "demo_batches", "demo_learner", "expansion_at", "expansion_explorer",
           "show_expansion"]


def expansion_at(alpha: float = 0.01, k: int = 2, train_steps: int = 50, task_seed: int = 0) -> dict[str, Any]:
    """Every term at step size ``alpha`` after ``k`` steps, the residuals over ``ALPHAS`` and their slopes."""
    alpha = check_positive("alpha", alpha)
    k = check_int("k", k, 1, MAX_K)
    learner, batches = demo_learner(train_steps, task_seed), demo_batches(task_seed)[:k]
    terms = expansion_terms(learner, "regression", batches, k=k)
    exact = meta_gradients(learner, "regression", batches, alpha, k=k)
    grid = np.unique(np.append(ALPHAS, alpha))
    found = residuals(learner, "regression", batches, grid, k=k)
    return {"alpha": alpha, "k": k, "rows": term_rows(terms, exact, alpha), "alphas": grid, "residuals": found}


def show_expansion(alpha: float = 0.01, k: int = 2, train_steps: int = 50, task_seed: int = 0) -> None:
    """Print the table of terms and each method's residual at ``alpha``; draw the log-log residual plot."""
    out = expansion_at(alpha, k, train_steps, task_seed)
    title = f"k = {out['k']} gradient evaluations; the line marks α = {out['alpha']:.3g}"
    if k == 1:
        print("k = 1: every method is the plain gradient g(0); the expansion is exact (residual 0).")
    else:
        display(plot_residuals(out["alphas"], out["residuals"], out["alpha"], title))
    print(format_rows(out["rows"]))
    at = int(np.flatnonzero(np.isclose(out["alphas"], out["alpha"]))[0])
    print("  ".join(f"{LABELS[m]} residual = {out['residuals'][m][at]:.3g}" for m in METHODS))


def expansion_explorer(alpha: float = 0.01, k: int = 2, train_steps: int = 50, task_seed: int = 0):
    """Sliders for the inner step size α and the number of gradient steps k, starting at ``alpha`` and ``k``;
    redraws ``show_expansion``."""
    import ipywidgets as widgets

    alpha = check_positive("alpha", alpha)
    return explore(
        show_expansion,
        alpha=widgets.FloatLogSlider(value=alpha, base=10, min=-3, max=-1, step=0.125, description="α (inner step)"),
        k=widgets.IntSlider(value=check_int("k", k, 1, MAX_K), min=1, max=MAX_K, description="k (steps)"),
        train_steps=widgets.fixed(train_steps),
        task_seed=widgets.fixed(task_seed),
    )
