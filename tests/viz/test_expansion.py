"""Plots of notebook 05: the validation curves of the three live runs."""
import matplotlib

matplotlib.use("Agg")

import pytest

from mlkit.train import History
from mlkit.viz.expansion import plot_validation_curves


def test_validation_curves_have_one_labelled_line_per_method():
    histories = {m: History(val_steps=[100, 200], val_metric=[3.0, v]) for m, v in
                 (("maml", 1.0), ("fomaml", 1.5), ("reptile", 2.5))}
    fig = plot_validation_curves(histories, title="live runs")
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MAML", "first-order MAML", "Reptile"]
    assert ax.get_xlabel() == "meta-iteration" and ax.get_ylabel() and ax.get_title() == "live runs"
    assert [line.get_ydata()[-1] for line in ax.get_lines()] == [1.0, 1.5, 2.5]


def test_the_size_panel_is_drawn_at_the_step_size_asked_for():
    import numpy as np

    from mlkit.analysis.expansion import Estimate, Expectations
    from mlkit.viz.expansion import plot_coefficients

    zero = Estimate(np.zeros(3), np.zeros(3))
    found = Expectations(alpha=0.001, schedule=(0, 1), n=10, A=Estimate(np.array([1.0, 0, 0]), np.zeros(3)),
                         B=Estimate(np.array([0, 2.0, 0]), np.zeros(3)), C=zero, mean={}, predicted={}, difference={},
                         coefficients={"maml": (1, 2, 0), "fomaml": (1, 1, 0), "reptile": (2, 1, 0)},
                         measured={m: {"A": (1.0, 0.1), "B": (1.0, 0.1), "C": None} for m in ("maml", "fomaml",
                                                                                          "reptile")})
    fig = plot_coefficients(found, alpha=0.01, title="takeaway")
    size = fig.axes[2]
    assert size.get_title() == "size of each contribution at α = 0.01" and fig._suptitle.get_text() == "takeaway"
    heights = [p.get_height() for p in size.patches]
    assert heights[3:] == pytest.approx([0.01 * 2 * 2.0, 0.01 * 1 * 2.0, 0.01 * 1 * 2.0])  # α·b·‖B‖ at α = 0.01
    assert plot_coefficients(found).axes[2].get_title() == "size of each contribution at α = 0.001"
