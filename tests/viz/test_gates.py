"""Plots of notebook 04: the mean gates of live runs, labelled and with every curve in the legend."""
import matplotlib

matplotlib.use("Agg")

import torch

from mlkit.viz.gates import plot_mean_gates


def test_mean_gates_plot_has_labelled_axes_and_one_legend_entry_per_run():
    runs = {"before training": {"input": torch.full((5,), 0.01), "forget": torch.full((5,), 0.99)},
            "after training": {"input": torch.linspace(0.05, 0.5, 5), "forget": torch.full((5,), 0.995)}}
    fig = plot_mean_gates(runs, title="gates")
    left, right = fig.axes
    assert left.get_yscale() == "log" and left.get_xlabel() == right.get_xlabel() == "update t"
    assert left.get_ylabel() and right.get_ylabel() and fig._suptitle.get_text() == "gates"
    for ax in (left, right):
        assert [t.get_text() for t in ax.get_legend().get_texts()] == list(runs)
