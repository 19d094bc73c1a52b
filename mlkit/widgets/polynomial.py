"""The order-and-steps explorer of notebook 03 (Lee 2018, §6.3): adapt the shipped MT-net of a polynomial order
to 10 points of a fixed polynomial with 0–10 inner steps, and see which units its sampled mask lets move.

Models: ``mlkit/checkpoints/poly<order>-mtnet.pt`` made by ``python -m mlkit reproduce polynomial`` (seed 0).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from IPython.display import display

from mlkit.checkpoint import load_meta_learner
from mlkit.checks import check_int
from mlkit.meta.base import MetaLearner
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.regression import PolynomialTasks
from mlkit.viz.polynomial import plot_polynomial_fit
from mlkit.widgets import explore

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
ORDERS = (0, 1, 2)
SHOTS = 10


@lru_cache(maxsize=None)
def load_polynomial_model(order: int) -> MetaLearner:
    """The shipped MT-net meta-trained on polynomials of ``order`` (0, 1 or 2)."""
    check_int("order", order, 0, max(ORDERS))
    return load_meta_learner(CHECKPOINTS / f"poly{order}-mtnet.pt")


@lru_cache(maxsize=None)
def polynomial_task(order: int, task_seed: int = 0) -> TaskBatch:
    """One fixed polynomial of ``order``: 10 support points and 100 evenly spaced query points on [−2, 2]."""
    tasks = PolynomialTasks(order, k_shot=SHOTS, q_query=1, meta_batch=1, seed=check_int("task_seed", task_seed, 0))
    pool = tasks.sample()
    grid = torch.linspace(-2.0, 2.0, 100).view(1, -1, 1)  # [1, 100, 1]
    return TaskBatch(pool.x_support, pool.y_support, grid, tasks.function(pool.info, grid), pool.info)


def adapt_polynomial(order: int, steps: int = 1, task_seed: int = 0) -> dict[str, Any]:
    """Adapt the order's MT-net to its fixed task; curves, MSE on the grid, and the units its mask updated."""
    steps = check_int("steps", steps, 0, 100)
    meta, task = load_polynomial_model(order), polynomial_task(order, task_seed)
    torch.manual_seed(task_seed)
    predictor = meta.adapt(task.x_support, task.y_support, steps=steps)
    adapted = predictor.predict(task.x_query)  # [1, 100, 1]
    mask = predictor.extras["mask"]  # {name: [1, ...]}; a layer's units share the mask of its weight (its key)
    units = {key: int(mask[key].sum().item()) for key in meta.masks.layers}
    return {
        "x": task.x_query[0, :, 0], "y_true": task.y_query[0, :, 0], "y_adapted": adapted[0, :, 0],
        "x_support": task.x_support[0, :, 0], "y_support": task.y_support[0, :, 0],
        "mse": ((adapted - task.y_query) ** 2).mean().item(), "units_updated": units,
        "units_total": {key: meta.masks.logits[key].numel() for key in meta.masks.layers},
    }


def show_polynomial(order: int = 1, steps: int = 1, task_seed: int = 0) -> None:
    """Plot the adapted curve, print ``MSE = ...`` and how many units of each layer the sampled mask updated."""
    out = adapt_polynomial(order, steps, task_seed)
    display(plot_polynomial_fit(out["x"], out["y_true"], out["y_adapted"], out["x_support"], out["y_support"],
                                f"order {order}, K = {SHOTS}, {steps} step{'s' * (steps != 1)}"))
    print(f"MSE = {out['mse']:.3f}")
    counts = (f"{k} {out['units_updated'][k]}/{out['units_total'][k]}" for k in out["units_total"])
    print("units updated: " + ", ".join(counts))


def polynomial_explorer(task_seed: int = 0):
    """Sliders for the polynomial order and the number of inner steps; redraws ``show_polynomial``."""
    import ipywidgets as widgets

    return explore(
        show_polynomial,
        order=widgets.IntSlider(value=1, min=0, max=max(ORDERS), description="order"),
        steps=widgets.IntSlider(value=1, min=0, max=10, description="steps"),
        task_seed=widgets.fixed(task_seed),
    )
