"""mlkit/viz/polynomial.py: Figure 6.1 bars are the means over seeds, dots the seeds."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mlkit.viz.polynomial import plot_polynomial_tasks, plot_unit_probabilities, plot_update_fractions  # noqa: E402


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
