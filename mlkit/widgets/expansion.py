"""The α and k explorer of notebook 05: the first-order expansion of the three meta-gradients, recomputed live.

Seed 004, "Reptile vs FOMAML": for one sine task, k mini-batches of 10 points and step size α, every term of the
expansion (``mlkit.analysis.expansion``) is computed exactly in float64 and printed, and the residual of each
method's first-order expansion is drawn against α on log-log axes (slope 2 where the expansion holds). The model is
the sine MLP 1-40-40-1 after a few MAML steps (``demo_learner``: at the initial θ every bias is 0 and every ReLU
kink sits at x = 0, among the data), trained once per process and cached, so a redraw takes a fraction of a second.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch
from IPython.display import display

from mlkit.analysis.expansion import Batch, METHODS, expansion_terms, meta_gradients, residuals, split_batches
from mlkit.checks import check_int, check_positive
from mlkit.learners import MLP
from mlkit.meta import MAML
from mlkit.tasks import SineTasks
from mlkit.train import train
from mlkit.viz.expansion import LABELS, format_rows, plot_residuals, term_rows
from mlkit.widgets import explore

MAX_K = 5
POINTS = 10  # examples per mini-batch
ALPHAS = np.logspace(-3, -1, 9)  # the α axis of the log-log plot


@lru_cache(maxsize=None)
def demo_learner(train_steps: int = 50, seed: int = 0) -> MLP:
    """The sine MLP after ``train_steps`` MAML steps (1 inner step, α = 0.01, 10 tasks per step, Adam 1e-3)."""
    torch.manual_seed(check_int("seed", seed, 0))
    meta = MAML(MLP((1, 40, 40, 1)), steps=1, alpha=0.01)
    if check_int("train_steps", train_steps, 0):
        train(meta, SineTasks(k_shot=10, meta_batch=10, seed=seed + 1), train_steps, progress=False,
              log_every=train_steps)
    return meta.learner


@lru_cache(maxsize=None)
def demo_batches(task_seed: int = 0) -> list[Batch]:
    """One sine task cut into ``MAX_K`` mini-batches of ``POINTS`` points each (the batches (0), (1), ...)."""
    tasks = SineTasks("thesis", k_shot=POINTS, q_query=POINTS * (MAX_K - 1), meta_batch=1, seed=task_seed)
    return split_batches(tasks.sample(), MAX_K)


def expansion_at(alpha: float = 0.01, k: int = 2, train_steps: int = 50, task_seed: int = 0) -> dict[str, Any]:
    """Every term at step size ``alpha`` after ``k`` steps, the residuals over ``ALPHAS`` and their slopes."""
    alpha = check_positive("alpha", alpha)
    k = check_int("k", k, 1, MAX_K)
    learner, batches = demo_learner(train_steps), demo_batches(task_seed)[:k]
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


def expansion_explorer(train_steps: int = 50, task_seed: int = 0):
    """Sliders for the inner step size α and the number of gradient steps k; redraws ``show_expansion``."""
    import ipywidgets as widgets

    return explore(
        show_expansion,
        alpha=widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=-1, step=0.125, description="α (inner step)"),
        k=widgets.IntSlider(value=2, min=1, max=MAX_K, description="k (steps)"),
        train_steps=widgets.fixed(train_steps),
        task_seed=widgets.fixed(task_seed),
    )
