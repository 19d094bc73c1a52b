"""The step-size explorer of notebook 02 (Lee 2018, §6.2): the MAML and T-net trained live with a too-small and a
too-large inner step size α, adapted side by side to K points of one fixed sine.

Pick the α a pair was meta-trained with, then move the test-time α and the shots K: the T-net's learned T turns a
step of size α into one of size α·λ along each eigenvector of TᵀT (eq. 4.3), MAML's step is α itself. The models
are the live runs of ``mlkit.live.step_size``; printed errors carry "≈" (``mse_text(..., live=True)``).
``step_size_errors`` prints the same errors without a plot: the plain twin of the explorer in a notebook, so that a
static rendering shows the explorer's figure once.
"""
from __future__ import annotations

from typing import Mapping

from mlkit.checks import check_choice, check_int
from mlkit.meta.base import MetaLearner
from mlkit.widgets import explore
from mlkit.viz.sine import LABELS
from mlkit.widgets.sine import MAX_SHOTS, adapt_model, alpha_slider, mse_text, show_live_adaptation

Pairs = Mapping[float, Mapping[str, MetaLearner]]  # {α it was meta-trained with: {"maml": model, "tnet": model}}


def show_step_sizes(models: Pairs, trained: float, alpha: float, shots: int = 10, steps: int = 1,
                    task_seed: int = 0) -> dict[str, float]:
    """Adapt the pair meta-trained with ``trained`` to the demo task with test step ``alpha``; plot both curves and
    print each one's ``MSE ≈...``. Returns {method: MSE}."""
    pair = models[check_choice("trained", trained, list(models))]
    title = f"trained with α = {trained:g}, adapted with α = {alpha:.3g}, K = {shots}"
    return show_live_adaptation(pair, alpha, shots, steps, task_seed, title=title)


def step_size_errors(models: Pairs, trained: float, alpha: float, shots: int = 10, steps: int = 1,
                     task_seed: int = 0) -> dict[str, float]:
    """What ``show_step_sizes`` prints, without its plot: one line with each model's ``MSE ≈...`` after adapting the
    pair meta-trained with ``trained`` to the demo task with test step ``alpha``. Returns {method: MSE}."""
    pair = models[check_choice("trained", trained, list(models))]
    errors = {name: adapt_model(meta, alpha, shots, steps, task_seed)["mse"] for name, meta in pair.items()}
    print(f"trained with α = {trained:g}, adapted with α = {alpha:.3g}, K = {shots}: "
          + ", ".join(f"{LABELS.get(name, name)} {mse_text(mse, live=True)}" for name, mse in errors.items()))
    return errors


def step_size_explorer(models: Pairs, trained: float, alpha: float, shots: int = 10, task_seed: int = 0):
    """A menu of the training α, and sliders for the test α (starting at ``alpha``) and the shots K (starting at
    ``shots``); choosing another training α moves the test α slider to it. Redraws ``show_step_sizes``."""
    import ipywidgets as widgets

    check_choice("trained", trained, list(models))
    menu = widgets.Dropdown(options=[(f"{a:g}", a) for a in models], value=trained, description="trained with")
    slider = alpha_slider(alpha, "α (test step)")
    menu.observe(lambda change: setattr(slider, "value", change["new"]), names="value")
    return explore(
        show_step_sizes, models=widgets.fixed(models), trained=menu, alpha=slider,
        shots=widgets.IntSlider(value=check_int("shots", shots, 1, MAX_SHOTS), min=1, max=MAX_SHOTS,
                                description="shots K"),
        steps=widgets.fixed(1), task_seed=widgets.fixed(task_seed),
    )
