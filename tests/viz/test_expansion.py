"""Plots of notebook 05: the validation curves of the three live runs."""
import matplotlib

matplotlib.use("Agg")

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
