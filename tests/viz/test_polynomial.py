"""mlkit/viz/polynomial.py: Figure 6.1 bars are the means over seeds, dots the seeds; the seed-by-seed panel joins each
seed across the orders and marks collapsed runs hollow; the masks of the race, one panel per layer."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mlkit.viz.polynomial import (plot_fraction_by_seed, plot_mask_fractions, plot_polynomial_tasks,  # noqa: E402
                                  plot_unit_probabilities, plot_update_fractions)


def test_update_fraction_bars_are_seed_means():
    runs = [{"order": n, "seed": s, "layers": {"w0": 0.1 * (n + 1) + 0.02 * s, "w1": 0.5}, "overall": 0.3 + 0.1 * n}
            for n in (0, 1) for s in (0, 1)]
    ax = plot_update_fractions({"runs": runs}).axes[0]
    heights = [patch.get_height() for patch in ax.patches]  # order 0's three bars, then order 1's
    assert np.allclose(heights, [0.11, 0.5, 0.3, 0.21, 0.5, 0.4])
    assert len(ax.collections) == 2  # one scatter of seed dots per order


def test_unit_probabilities_one_panel_per_order_and_layer_sorted():
    probabilities = {n: {"w0": torch.tensor([0.2, 0.9, 0.5]), "w2": torch.tensor([0.7])} for n in (0, 1)}
    fig = plot_unit_probabilities(probabilities)
    assert len(fig.axes) == 4
    assert np.allclose([p.get_height() for p in fig.axes[0].patches], [0.9, 0.5, 0.2])


def test_polynomial_tasks_draws_n_curves_per_order():
    fig = plot_polynomial_tasks((0, 2), n_tasks=3)
    assert [len(ax.get_lines()) for ax in fig.axes] == [3, 3]
    assert np.ptp(fig.axes[0].get_lines()[0].get_ydata()) < 1e-6  # order 0: a constant


def shipped_like_runs():
    """Two seeds, three orders: seed 1's order-1 run collapsed (adapted range 0)."""
    return [{"order": n, "seed": s, "overall": 0.5 + 0.1 * n + 0.05 * s, "layers": {"w0": 0.5},
             "adapted_range": 0.0 if (n, s) == (1, 1) else (0.0 if n == 0 else 0.8)} for n in (0, 1, 2) for s in (0, 1)]


def test_fraction_by_seed_shows_the_mean_per_order_and_each_seed_paired_with_collapsed_runs_hollow():
    fig = plot_fraction_by_seed({"runs": shipped_like_runs()}, title="takeaway")
    left, right = fig.axes[:2]
    assert np.allclose([p.get_height() for p in left.patches], [0.525, 0.625, 0.725])
    lines = [line for line in right.get_lines() if len(line.get_xdata())]
    assert [list(line.get_ydata()) for line in lines] == [[0.5, 0.6, 0.7], [0.55, 0.65, 0.75]]
    assert lines[0].get_color() == "tab:red" and lines[1].get_color() == "0.6"  # seed 1 has a collapsed run
    hollow = [c for c in right.collections if len(c.get_offsets()) and np.allclose(c.get_facecolors(), 1)]
    assert [tuple(c.get_offsets()[0]) for c in hollow] == [(1.0, 0.65)]
    assert fig._suptitle.get_text() == "takeaway"


def test_mask_fractions_one_panel_per_layer_with_both_curves():
    fractions = {"yours": {"w0": [0.5, 0.4, 0.6], "w2": [1.0, 0.0, 1.0]},
                 "expected": {"w0": [0.5, 0.5, 0.51], "w2": [0.5, 0.5, 0.5]}}
    fig = plot_mask_fractions(fractions, window=2)
    assert len(fig.axes) == 2
    expected, each, running = fig.axes[0].get_lines()
    assert list(expected.get_ydata()) == [0.5, 0.5, 0.51] and list(each.get_ydata()) == [0.5, 0.4, 0.6]
    assert np.allclose(running.get_ydata(), [0.45, 0.5])


def test_titles_passed_in_replace_the_default_ones():
    assert plot_polynomial_tasks((0,), n_tasks=2, title="t1")._suptitle.get_text() == "t1"
    probabilities = {0: {"w0": torch.tensor([0.2, 0.9])}}
    assert plot_unit_probabilities(probabilities, title="t2")._suptitle.get_text() == "t2"
