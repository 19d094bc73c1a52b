"""mlkit/widgets/expansion.py: notebook 05's α explorer draws the three methods trained with the α of its slider
(so moving α changes the curves, not a line over fixed ones), prints their test errors and starts from the
notebook's α; its plain twin prints the numbers only."""
import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import pytest  # noqa: E402

from mlkit.live.reptile import SWEEP_ALPHAS, load_sweep  # noqa: E402
from mlkit.widgets import expansion  # noqa: E402


def test_the_printed_errors_are_the_sweeps_at_the_chosen_alpha(capsys):
    sweep = load_sweep()
    for alpha in (0.001, 0.03):
        expansion.show_sweep(alpha, sweep)
        out = capsys.readouterr().out
        for method, label in (("maml", "MAML"), ("fomaml", "first-order MAML"), ("reptile", "Reptile")):
            test = sweep["runs"][str(alpha)][method]["test"]
            assert re.search(rf"{label}\s+test MSE after one step {test['mean']:.2f} ± {test['ci95']:.2f}", out)
        assert "paired by task" in out


def test_moving_alpha_redraws_other_curves_and_other_numbers():
    from mlkit.viz.expansion import plot_sweep

    sweep = load_sweep()
    box = expansion.sweep_explorer(0.01, sweep)
    slider = next(c for c in box.children if getattr(c, "description", "").startswith("α"))
    output = box.children[-1]
    assert slider.value == 0.01 and [v for _, v in slider.options] == list(SWEEP_ALPHAS)
    before = [o.get("text", "") for o in output.outputs if o["output_type"] == "stream"]
    slider.value = 0.1
    after = [o.get("text", "") for o in output.outputs if o["output_type"] == "stream"]
    assert before and before != after and "4.58 ± 0.31" in "".join(after)
    curves = {a: [list(line.get_ydata()) for line in plot_sweep(sweep, a).axes[0].get_lines()] for a in (0.01, 0.1)}
    assert curves[0.01] != curves[0.1]  # the curves themselves move, not a marker over fixed ones


def test_the_explorer_starts_at_the_nearest_step_size_and_the_twin_prints_every_alpha():
    sweep = load_sweep()
    assert expansion.nearest_alpha(sweep, 0.012) == 0.01 and expansion.nearest_alpha(sweep, 0.05) == 0.03
    table = expansion.sweep_table(sweep)
    assert len(table.splitlines()) == 1 + len(SWEEP_ALPHAS) and "first-order MAML" in table.splitlines()[0]
    assert "1.37 ± 0.11" in table.splitlines()[3]  # α = 0.01, MAML


def test_a_diverged_run_prints_as_diverged(capsys):
    sweep = load_sweep()
    broken = {**sweep, "runs": {**sweep["runs"], "0.1": {**sweep["runs"]["0.1"], "fomaml": {
        **sweep["runs"]["0.1"]["fomaml"], "test": None}}}, "gaps": {**sweep["gaps"], "0.1": {
        "fomaml-maml": None, "reptile-fomaml": None}}}
    expansion.show_sweep(0.1, broken)
    out = capsys.readouterr().out
    assert "first-order MAML  test MSE after one step diverged" in out and "paired by task: –" in out
    assert "diverged" in expansion.sweep_table(broken).splitlines()[-1]


@pytest.mark.parametrize("alpha", [0.001, 0.003, 0.01, 0.03, 0.1])
def test_every_alpha_of_the_slider_draws(alpha):
    from mlkit.viz.expansion import plot_sweep

    fig = plot_sweep(load_sweep(), alpha, title="t")
    left, right = fig.axes[:2]
    assert len(left.get_lines()) == 3 and left.get_title() == f"trained with α = {alpha:g}"
    assert right.get_xscale() == "log"
