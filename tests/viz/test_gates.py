"""Plots of notebook 04: every axis of every figure labelled, curves in the legend, the step marked where the
gates' story is drawn at one update."""
import matplotlib

matplotlib.use("Agg")

import torch

from mlkit.viz.gates import plot_gate_figure, plot_gates_at_step, plot_mean_gates, plot_preprocessing


def unlabelled(fig) -> list[str]:
    """Axes of ``fig`` with an empty x or y label (a twin axis counts as its own axes)."""
    return [f"axes {i} ({ax.get_title()!r})" for i, ax in enumerate(fig.axes)
            if ax.get_visible() and (not ax.get_xlabel() or not ax.get_ylabel())]


def story(steps=4, episodes=3, sizes=(6, 4, 5)):
    n = sum(sizes)
    g = torch.Generator().manual_seed(0)
    layers, start = {}, 0
    for k, size in enumerate(sizes):
        layers[f"layer {k + 1}"] = slice(start, start + size)
        start += size
    pre = torch.randn(steps, episodes, n, generator=g) + 6
    return {"input": torch.rand(steps, episodes, n, generator=g), "forget": torch.sigmoid(pre),
            "decay": torch.sigmoid(-pre), "accuracy": torch.rand(steps, episodes, generator=g), "layers": layers}


def test_mean_gates_plot_has_labelled_axes_and_one_legend_entry_per_run():
    runs = {"before training": {"input": torch.full((5,), 0.01), "forget": torch.full((5,), 0.99)},
            "after training": {"input": torch.linspace(0.05, 0.5, 5), "forget": torch.full((5,), 0.995)}}
    fig = plot_mean_gates(runs, title="gates")
    left, right = fig.axes
    assert left.get_yscale() == "log" and left.get_xlabel() == right.get_xlabel() == "update t"
    assert left.get_ylabel() and right.get_ylabel() and fig._suptitle.get_text() == "gates"
    for ax in (left, right):
        assert [t.get_text() for t in ax.get_legend().get_texts()] == list(runs)


def test_every_axis_of_every_figure_is_labelled():
    s = story()
    gates = {"layer 1": {key: torch.rand(4, 3) for key in ("forget", "input", "forget_mean", "input_mean")},
             "layer 2": {key: torch.rand(4, 3) for key in ("forget", "input", "forget_mean", "input_mean")}}
    figures = {"preprocessing": plot_preprocessing(10.0), "figure 3": plot_gate_figure({1: gates, 5: gates}),
               "at a step": plot_gates_at_step(s, 2, "takeaway"),
               "mean gates": plot_mean_gates({"a": {"input": torch.rand(3), "forget": torch.rand(3)}})}
    for name, fig in figures.items():
        assert not unlabelled(fig), f"{name}: {unlabelled(fig)}"


def test_the_gates_at_one_step_mark_that_step_and_draw_every_layer():
    s = story()
    fig = plot_gates_at_step(s, 3, "the takeaway")
    assert fig._suptitle.get_text() == "the takeaway"
    input_ax, forget_ax, hist_ax, accuracy_ax = fig.axes[:4]
    for ax in (input_ax, forget_ax, accuracy_ax):
        marks = [line for line in ax.get_lines() if list(line.get_xdata()) == [3, 3]]
        assert marks, f"{ax.get_ylabel()}: no line at update 3"
    assert forget_ax.get_yscale() == "log"
    assert [t.get_text() for t in forget_ax.get_legend().get_texts()] == list(s["layers"])
    assert "t = 3" in hist_ax.get_xlabel() and len(hist_ax.patches) == len(s["layers"])
    assert "t = 4" in plot_gates_at_step(s, 99).axes[2].get_xlabel()  # beyond T: the last update
