"""The α explorer of notebook 05: MAML, first-order MAML and Reptile trained with the inner step size α you choose.

Per unit of A (the joint-training direction), MAML's expected meta-gradient weighs B (the within-task generalisation
direction) by 2α, first-order MAML's by α and Reptile's by α/2 (Nichol, Achiam & Schulman 2018, §5.1; k = 2): at a
tiny α all three follow A alone and their training curves coincide; as α grows the B term steers and the curves
part. The explorer shows the three trained at the α of the slider — validation curves, and the test error after one
step at every α — from ``mlkit.live.reptile.sweep`` (15 trainings, shipped precomputed and loaded once), so a redraw
is one plot.
"""
from __future__ import annotations

from typing import Any, Mapping

from IPython.display import display

from mlkit.analysis.expansion import METHODS
from mlkit.live.reptile import GAPS, SWEEP_ALPHAS, alpha_key
from mlkit.viz.expansion import LABELS, plot_sweep
from mlkit.widgets import explore

__all__ = ["nearest_alpha", "show_sweep", "sweep_explorer", "sweep_table"]


def nearest_alpha(sweep: Mapping[str, Any], alpha: float) -> float:
    """The step size of ``sweep`` closest to ``alpha`` on a log scale."""
    import math

    return min(sweep["alphas"], key=lambda a: abs(math.log(a) - math.log(alpha)))


def _score(test: Mapping[str, float] | None) -> str:
    return "diverged" if test is None else f"{test['mean']:.2f} ± {test['ci95']:.2f}"


def show_sweep(alpha: float = 0.01, sweep: Mapping[str, Any] | None = None) -> None:
    """Draw the three methods trained with ``alpha`` (``plot_sweep``) and print their test MSE after one step, and
    the paired differences that rank them."""
    from mlkit.live.reptile import load_sweep

    sweep = load_sweep() if sweep is None else sweep
    alpha = nearest_alpha(sweep, alpha)
    runs, gaps = sweep["runs"][alpha_key(alpha)], sweep["gaps"][alpha_key(alpha)]
    display(plot_sweep(sweep, alpha, title=f"Trained with α = {alpha:g}: the larger α, the more the B term steers, "
                                           "and the earlier and further the three part"))
    for m in METHODS:
        print(f"{LABELS[m]:17s} test MSE after one step {_score(runs[m]['test'])}")
    for worse, better in GAPS:
        gap = gaps[f"{worse}-{better}"]
        print(f"{LABELS[worse]} minus {LABELS[better]}, paired by task: " +
              ("–" if gap is None else f"{gap['mean']:.2f} ± {gap['ci95']:.2f}"))


def sweep_table(sweep: Mapping[str, Any]) -> str:
    """The sweep's numbers as text, one line per α: each method's test MSE after one step (the explorer's plain
    twin prints it)."""
    width = max(len(LABELS[m]) for m in METHODS) + 14
    lines = ["α      " + "".join(f"{LABELS[m]:>{width}s}" for m in METHODS)]
    for alpha in sweep["alphas"]:
        runs = sweep["runs"][alpha_key(alpha)]
        lines.append(f"{alpha:<6g} " + "".join(f"{_score(runs[m]['test']):>{width}s}" for m in METHODS))
    return "\n".join(lines)


def sweep_explorer(alpha: float = 0.01, sweep: Mapping[str, Any] | None = None):
    """A slider over the sweep's step sizes α (``SWEEP_ALPHAS``), starting at the one nearest ``alpha``; redraws
    ``show_sweep``."""
    import ipywidgets as widgets

    from mlkit.live.reptile import load_sweep

    sweep = load_sweep() if sweep is None else sweep
    options = [(alpha_key(a), a) for a in sweep.get("alphas", SWEEP_ALPHAS)]
    return explore(
        show_sweep,
        alpha=widgets.SelectionSlider(options=options, value=nearest_alpha(sweep, alpha),
                                      description="α (inner step)", style={"description_width": "initial"}),
        sweep=widgets.fixed(sweep),
    )
