"""The polynomial explorer of notebook 03 (Lee 2018, §6.3): adapt the shipped MT-net of a polynomial order to K
points of a fixed polynomial with a step size α and 0–10 inner steps, and see which units its sampled mask lets move.

Models: ``mlkit/checkpoints/poly<order>-mtnet.pt``, made by ``python -m mlkit reproduce polynomial`` (its training
seed 0, α = 0.01, 10-shot tasks). ``polynomial_errors`` prints what the explorer prints, without its plot: the
plain twin of the explorer in a notebook, so that a static rendering shows the explorer's figure once.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from IPython.display import display

from mlkit.checkpoint import load_meta_learner
from mlkit.checks import check_int, check_positive
from mlkit.meta.base import MetaLearner
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.regression import PolynomialTasks
from mlkit.viz.polynomial import plot_polynomial_fit
from mlkit.widgets import explore
from mlkit.widgets.sine import alpha_slider, mse_text

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
ORDERS = (0, 1, 2)
MAX_SHOTS = 20


@lru_cache(maxsize=None)
def load_polynomial_model(order: int) -> MetaLearner:
    """The shipped MT-net meta-trained on polynomials of ``order`` (0, 1 or 2)."""
    check_int("order", order, 0, max(ORDERS))
    return load_meta_learner(CHECKPOINTS / f"poly{order}-mtnet.pt")


@lru_cache(maxsize=None)
def polynomial_task(order: int, task_seed: int = 0) -> TaskBatch:
    """One fixed polynomial of ``order``: a pool of ``MAX_SHOTS`` support points, 100 evenly spaced query points on
    [−2, 2]."""
    tasks = PolynomialTasks(order, k_shot=MAX_SHOTS, q_query=1, meta_batch=1,
                            seed=check_int("task_seed", task_seed, 0))
    pool = tasks.sample()
    grid = torch.linspace(-2.0, 2.0, 100).view(1, -1, 1)  # [1, 100, 1]
    return TaskBatch(pool.x_support, pool.y_support, grid, tasks.function(pool.info, grid), pool.info)


def adapt_polynomial(order: int, alpha: float = 0.01, shots: int = 10, steps: int = 1,
                     task_seed: int = 0) -> dict[str, Any]:
    """Adapt the order's MT-net to the first ``shots`` points of its fixed task with step ``alpha``; curves, MSE on
    the grid, and the units its sampled mask (drawn from ``torch.manual_seed(task_seed)``) updated."""
    alpha = check_positive("alpha", alpha)
    shots = check_int("shots", shots, 1, MAX_SHOTS)
    steps = check_int("steps", steps, 0, 100)
    meta, task = load_polynomial_model(order), polynomial_task(order, task_seed)
    x_support, y_support = task.x_support[:, :shots], task.y_support[:, :shots]  # [1, K, 1]
    torch.manual_seed(task_seed)
    predictor = meta.adapt(x_support, y_support, steps=steps, alpha=alpha)
    adapted = predictor.predict(task.x_query)  # [1, 100, 1]
    mask = predictor.extras["mask"]  # {name: [1, ...]}; a layer's units share the mask of its weight (its key)
    units = {key: int(mask[key].sum().item()) for key in meta.masks.layers}
    return {
        "x": task.x_query[0, :, 0], "y_true": task.y_query[0, :, 0], "y_adapted": adapted[0, :, 0],
        "x_support": x_support[0, :, 0], "y_support": y_support[0, :, 0],
        "mse": ((adapted - task.y_query) ** 2).mean().item(), "units_updated": units,
        "units_total": {key: meta.masks.logits[key].numel() for key in meta.masks.layers},
    }


def units_text(out: dict[str, Any]) -> str:
    """``"w0 30/40, w1 24/40, w2 1/1"``: the units of each layer the sampled mask updated."""
    return ", ".join(f"{k} {out['units_updated'][k]}/{out['units_total'][k]}" for k in out["units_total"])


def polynomial_errors(order: int = 1, alpha: float = 0.01, shots: int = 10, steps: int = 1,
                      task_seed: int = 0) -> float:
    """What ``show_polynomial`` prints, without its plot, on one line: the MSE and the units updated. Returns the
    MSE."""
    out = adapt_polynomial(order, alpha, shots, steps, task_seed)
    print(f"order {order}, α = {alpha:.3g}, K = {shots}, {steps} step{'s' * (steps != 1)}: {mse_text(out['mse'])}; "
          f"units updated: {units_text(out)}")
    return out["mse"]


def show_polynomial(order: int = 1, alpha: float = 0.01, shots: int = 10, steps: int = 1, task_seed: int = 0) -> None:
    """Plot the adapted curve, print ``MSE = ...`` and how many units of each layer the sampled mask updated."""
    out = adapt_polynomial(order, alpha, shots, steps, task_seed)
    title = f"order {order}, K = {shots}, α = {alpha:.3g}, {steps} step{'s' * (steps != 1)}"
    display(plot_polynomial_fit(out["x"], out["y_true"], out["y_adapted"], out["x_support"], out["y_support"], title))
    print(mse_text(out["mse"]))
    print("units updated: " + units_text(out))


def polynomial_explorer(order: int = 1, alpha: float = 0.01, shots: int = 10, steps: int = 1, task_seed: int = 0):
    """Sliders for the polynomial order, the step size α, the shots K and the inner steps, starting at the given
    values (a notebook passes its parameters); redraws ``show_polynomial``."""
    import ipywidgets as widgets

    return explore(
        show_polynomial,
        order=widgets.IntSlider(value=check_int("order", order, 0, max(ORDERS)), min=0, max=max(ORDERS),
                                description="order"),
        alpha=alpha_slider(check_positive("alpha", alpha), "α (test step)"),
        shots=widgets.IntSlider(value=check_int("shots", shots, 1, MAX_SHOTS), min=1, max=MAX_SHOTS,
                                description="shots K"),
        steps=widgets.IntSlider(value=check_int("steps", steps, 0, 10), min=0, max=10, description="steps"),
        task_seed=widgets.fixed(task_seed),
    )
