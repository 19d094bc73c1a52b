"""The α and shots explorers of notebooks 00 and 01: adapt sine models to K points of one fixed task.

Move the test-time step size α and the number of support points K and see the adapted curve against the true
sine (Lee 2018, §6.1; the update is eq. 2.1, or eq. 3.6 with the MT-net's mask). ``adapt_model`` adapts any sine
model (one trained live too: notebook 02's explorer, ``mlkit.widgets.step_size``); the explorer's models are the
10-shot checkpoints made by ``python -m mlkit reproduce sine-table`` (``mlkit/checkpoints/sine-<method>.pt``),
loaded once, so each redraw is one small adaptation and one plot.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import torch
from IPython.display import display

from mlkit.checkpoint import load_meta_learner
from mlkit.checks import check_choice, check_int, check_positive, check_range
from mlkit.live import approx
from mlkit.meta.base import MetaLearner
from mlkit.meta.finetune import FineTune
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.regression import SineTasks
from mlkit.viz.sine import LABELS, plot_adaptation
from mlkit.widgets import explore

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
SINE_METHODS = ("maml", "metasgd", "tnet", "mtnet")
MAX_SHOTS = 20
GRID_POINTS = 100
ALPHA_LOG_RANGE = (-5.0, 2.0)  # the α sliders span 1e-5 to 100


@lru_cache(maxsize=None)
def load_sine_model(method: str) -> MetaLearner:
    """The shipped 10-shot sine model of ``method`` (read once, then cached)."""
    check_choice("method", method, SINE_METHODS)
    return load_meta_learner(CHECKPOINTS / f"sine-{method}.pt")


@lru_cache(maxsize=None)
def demo_task(task_seed: int = 0) -> TaskBatch:
    """One fixed sine task: a pool of ``MAX_SHOTS`` support points, and 100 evenly spaced query points on [−5, 5]."""
    tasks = SineTasks("thesis", k_shot=MAX_SHOTS, q_query=1, meta_batch=1, seed=check_int("task_seed", task_seed, 0))
    pool = tasks.sample()
    grid = torch.linspace(-5.0, 5.0, GRID_POINTS).view(1, -1, 1)  # [1, 100, 1]
    return TaskBatch(pool.x_support, pool.y_support, grid, tasks.function(pool.info, grid), pool.info)


def adapt_model(meta: MetaLearner, alpha: float | None = 0.01, shots: int = 10, steps: int = 1,
                task_seed: int = 0) -> dict[str, Any]:
    """Adapt ``meta`` (any sine model, shipped or trained live) to the first ``shots`` points of the demo task; the
    curves and the MSE on the grid.

    ``alpha=None`` keeps the model's own step size (the learned α of Meta-SGD, the fine-tune baseline's chosen
    step); otherwise it is MAML's α or the baseline's SGD step size. The random mask of an MT-net is
    drawn from ``torch.manual_seed(task_seed)``, so the same arguments always give the same curve.
    """
    shots = check_int("shots", shots, 1, MAX_SHOTS)
    steps = check_int("steps", steps, 0, 100)
    if alpha is not None:
        alpha = check_positive("alpha", alpha)
    task = demo_task(task_seed)
    x_support, y_support = task.x_support[:, :shots], task.y_support[:, :shots]  # [1, K, 1]
    torch.manual_seed(task_seed)
    step_size = {} if alpha is None else {"lr" if isinstance(meta, FineTune) else "alpha": alpha}
    predictor = meta.adapt(x_support, y_support, steps=steps, **step_size)
    adapted = predictor.predict(task.x_query)  # [1, 100, 1]
    return {
        "x": task.x_query[0, :, 0], "y_true": task.y_query[0, :, 0], "y_adapted": adapted[0, :, 0],
        "x_support": x_support[0, :, 0], "y_support": y_support[0, :, 0],
        "mse": ((adapted - task.y_query) ** 2).mean().item(),
    }


def adapt_to_task(method: str, alpha: float | None = 0.01, shots: int = 10, steps: int = 1,
                  task_seed: int = 0) -> dict[str, Any]:
    """``adapt_model`` for the shipped model of ``method`` (``SINE_METHODS``)."""
    return adapt_model(load_sine_model(method), alpha, shots, steps, task_seed)


def mse_text(mse: float, live: bool = False) -> str:
    """``"MSE = 0.123"`` (three significant digits from 10 on: ``"MSE = 5.6e+04"``, digits float noise cannot
    flip), ``"MSE ≈0.123"`` for a model trained live (``live=True``: its last digits depend on the CPU;
    ``"MSE ≈1.3e+21"`` from 10⁴ on), or, when the adaptation blew up to NaN or inf, a plain "diverged" with the
    reason."""
    if not math.isfinite(mse):
        return "MSE: diverged (the steps overshoot and the weights blow up to infinity: try a smaller α or fewer steps)"
    if live:
        return f"MSE {approx(mse, 3 if mse < 10 else 0)}" if mse < 1e4 else f"MSE ≈{mse:.2g}"
    return f"MSE = {mse:.3f}" if mse < 10 else f"MSE = {mse:.3g}"


def show_adaptation(method: str = "maml", alpha: float = 0.01, shots: int = 10, steps: int = 1,
                    task_seed: int = 0) -> None:
    """Plot the adapted curve against the true sine and print ``MSE = ...`` (over the 100 grid points), or
    "diverged" when the adaptation blew up."""
    out = adapt_to_task(method, alpha, shots, steps, task_seed)
    title = f"{LABELS[method]}: K = {shots}, α = {alpha:.3g}, {steps} step{'s' * (steps != 1)}"
    curves = {method: out["y_adapted"]}
    display(plot_adaptation(out["x"], out["y_true"], out["x_support"], out["y_support"], curves, title))
    print(mse_text(out["mse"]))


def compare_methods(
    alpha: float | None = None, shots: int = 10, steps: int = 1, task_seed: int = 0
) -> dict[str, float]:
    """All four shipped models adapted to the same points in one plot; prints and returns each one's MSE.

    ``alpha=None`` lets every method use the step size it was meta-trained with.
    """
    outs = {m: adapt_to_task(m, alpha, shots, steps, task_seed) for m in SINE_METHODS}
    first = outs[SINE_METHODS[0]]
    title = f"K = {shots}, {steps} step{'s' * (steps != 1)}"
    curves = {m: o["y_adapted"] for m, o in outs.items()}
    display(plot_adaptation(first["x"], first["y_true"], first["x_support"], first["y_support"], curves, title))
    for m, o in outs.items():
        print(f"{LABELS[m]:8s} {mse_text(o['mse'])}")
    return {m: o["mse"] for m, o in outs.items()}


def sine_explorer(method: str = "maml", alpha: float = 0.01, shots: int = 10, task_seed: int = 0):
    """Sliders for the test-time step size α, the shots K and the inner steps, starting at ``alpha`` and ``shots``
    (a notebook passes its parameters); redraws ``show_adaptation``."""
    import ipywidgets as widgets

    check_choice("method", method, SINE_METHODS)
    alpha = check_range("alpha", alpha, 10.0 ** ALPHA_LOG_RANGE[0], 10.0 ** ALPHA_LOG_RANGE[1])
    return explore(
        show_adaptation,
        method=widgets.Dropdown(options=[(LABELS[m], m) for m in SINE_METHODS], value=method, description="method"),
        alpha=alpha_slider(alpha, "α (test step)"),
        shots=widgets.IntSlider(value=check_int("shots", shots, 1, MAX_SHOTS), min=1, max=MAX_SHOTS,
                                description="shots K"),
        steps=widgets.IntSlider(value=1, min=0, max=10, description="steps"),
        task_seed=widgets.fixed(task_seed),
    )


def show_live_adaptation(models: Mapping[str, MetaLearner], alpha: float = 0.01, shots: int = 10, steps: int = 1,
                         task_seed: int = 0, title: str | None = None) -> dict[str, float]:
    """Adapt models trained live (e.g. ``{"maml": ..., "finetune": ...}``) to the first ``shots`` points of the
    demo task, all with the same step size α and number of steps; one plot, and each one's MSE printed
    approximately (a live model's last digits depend on the CPU) or as diverged. Returns {name: MSE}."""
    outs = {name: adapt_model(meta, alpha, shots, steps, task_seed) for name, meta in models.items()}
    first = next(iter(outs.values()))
    title = title or f"trained live: K = {shots}, α = {alpha:.3g}, {steps} step{'s' * (steps != 1)}"
    curves = {name: out["y_adapted"] for name, out in outs.items()}
    display(plot_adaptation(first["x"], first["y_true"], first["x_support"], first["y_support"], curves, title))
    width = max(6, *(len(LABELS.get(name, name)) for name in outs))
    for name, out in outs.items():
        print(f"{LABELS.get(name, name):{width}s} {mse_text(out['mse'], live=True)}")
    return {name: out["mse"] for name, out in outs.items()}


def live_explorer(models: Mapping[str, MetaLearner], alpha: float = 0.01, shots: int = 10, task_seed: int = 0):
    """Sliders for the step size α, the shots K and the steps over ``show_live_adaptation``, starting at ``alpha``
    and ``shots`` (notebook 00: MAML and the baseline it trained live, side by side)."""
    import ipywidgets as widgets

    alpha = check_range("alpha", alpha, 10.0 ** ALPHA_LOG_RANGE[0], 10.0 ** ALPHA_LOG_RANGE[1])
    return explore(
        show_live_adaptation,
        models=widgets.fixed(dict(models)),
        alpha=alpha_slider(alpha, "α (step size)"),
        shots=widgets.IntSlider(value=check_int("shots", shots, 1, MAX_SHOTS), min=1, max=MAX_SHOTS,
                                description="shots K"),
        steps=widgets.IntSlider(value=1, min=0, max=10, description="steps"),
        task_seed=widgets.fixed(task_seed),
    )


def alpha_slider(alpha: float, description: str):
    """A log-scale slider for a step size α over ``ALPHA_LOG_RANGE`` (powers of ten), starting at ``alpha``."""
    import ipywidgets as widgets

    low, high = ALPHA_LOG_RANGE
    return widgets.FloatLogSlider(value=alpha, base=10, min=low, max=high, step=0.25, description=description,
                                  readout_format=".3g", style={"description_width": "initial"})
