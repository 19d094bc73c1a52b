"""mlkit/viz/sine.py: the figures draw the data they are given (closed figures, data read back from the lines)."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mlkit.viz.sine import (plot_adaptation, plot_effective_steps, plot_metric_spectrum, plot_step_size,  # noqa: E402
                            plot_steps_curves)


def test_adaptation_plot_draws_true_curve_adapted_curves_and_support():
    x = torch.linspace(-5, 5, 50)
    fig = plot_adaptation(x, torch.sin(x), x[:3], torch.sin(x[:3]), {"maml": 2 * x, "tnet": 3 * x}, "demo")
    ax = fig.axes[0]
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    assert np.allclose(lines["true sine"], torch.sin(x)) and np.allclose(lines["MAML"], 2 * x)
    assert np.allclose(lines["T-net"], 3 * x)
    assert np.allclose(ax.collections[0].get_offsets()[:, 0], x[:3])  # the support points


def test_steps_curves_one_line_per_method_with_gaps_for_diverged_steps():
    fig = plot_steps_curves({"maml": [3.0, 1.0, None], "mtnet": [3.0, 0.8, 0.4]})
    maml, mtnet = (line.get_ydata() for line in fig.axes[0].get_lines())
    assert list(maml[:2]) == [3.0, 1.0] and np.isnan(maml[2]) and list(mtnet) == [3.0, 0.8, 0.4]


def _step_size_result():
    score = lambda m: {"mean": m, "ci95": 0.1}  # noqa: E731
    rows = [
        {"alpha": 0.01, "scores": {"maml": score(0.7)}, "paper": {"maml": score(0.71)}, "diverged_at": {"maml": None},
         "metric": {"tnet": {"t0": {"mean": 1.5}}}},
        {"alpha": 10.0, "scores": {"maml": {"mean": None, "note": "diverged"}}, "paper": {"maml": score(171.9)},
         "diverged_at": {"maml": 4}, "metric": {"tnet": {"t0": {"mean": 0.2}}}},
    ]
    return {"settings": {"methods": ["maml"]}, "rows": rows}


def test_step_size_plot_leaves_diverged_runs_out_of_the_line_and_marks_them():
    fig = plot_step_size(_step_size_result())
    ours, paper = fig.axes[0].get_lines()[:2]
    assert ours.get_ydata()[0] == 0.7 and np.isnan(ours.get_ydata()[1])
    assert list(paper.get_ydata()) == [0.71, 171.9]
    assert len(fig.axes[0].collections) == 1  # one × for the diverged run


def test_metric_spectrum_plots_mean_eigenvalue_against_alpha():
    fig = plot_metric_spectrum(_step_size_result(), "tnet")
    line = fig.axes[0].get_lines()[0]
    assert list(line.get_xdata()) == [0.01, 10.0] and list(line.get_ydata()) == [1.5, 0.2]


def test_effective_steps_plot_one_point_per_layer_and_alpha_with_maml_step_as_a_line():
    steps = {1e-4: {"t0": {"min": 1e-4, "mean": 2e-4, "max": 1e-3}, "t2": {"min": 3e-4, "mean": 3e-4, "max": 3e-4}},
             10.0: {"t0": {"min": 9.0, "mean": 10.0, "max": 11.0}, "t2": {"min": 0.9, "mean": 0.9, "max": 0.9}}}
    ax = plot_effective_steps(steps).axes[0]
    means = [list(container.lines[0].get_ydata()) for container in ax.containers]  # one errorbar per α
    assert means == [[2e-4, 3e-4], [10.0, 0.9]]
    dashed = [line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert dashed == [1e-4, 10.0] and ax.get_yscale() == "log" and ax.get_ylabel() and ax.get_title()
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().x0 > ax.get_position().x1 * ax.figure.bbox.width - 1  # beside the plot
