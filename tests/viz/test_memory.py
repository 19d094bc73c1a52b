"""Notebook 08's pictures: every figure has labelled axes, a title, and a legend that names every curve."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mlkit.evaluate import Score  # noqa: E402
from mlkit.live.memory import build_mann, memory_trace, run_sequences, sequences  # noqa: E402
from mlkit.viz.memory import (plot_attention, plot_instance_accuracy, plot_memory_trace, plot_sequence,  # noqa: E402
                               plot_write_order)


def score(mean: float) -> Score:
    return Score(mean, 0.02, 50, "accuracy", np.full(50, mean))


def test_sequence_shows_the_previous_label_as_input():
    x, y = torch.rand(6, 1, 28, 28), torch.tensor([3, 1, 3, 0, 2, 1])
    fig = plot_sequence(x, y, steps=4)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 4 and titles[0].endswith("in: –") and titles[2].endswith("in: 1")
    assert fig.axes[1].get_xlabel() == "target 1" and fig._suptitle.get_text()
    assert plot_sequence(x, y, steps=2, title="a takeaway")._suptitle.get_text() == "a takeaway"


def test_instance_accuracy_names_every_curve_and_the_chance_line():
    curves = {"MANN": {1: score(0.3), 2: score(0.6)}, "control": {1: score(0.3), 2: score(0.25)}}
    fig = plot_instance_accuracy(curves, 0.2, "title", paper={"MANN (paper)": {1: 36.4, 2: 82.8}})
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(labels) == {"MANN", "control", "MANN (paper)", "chance (1/5)"}
    assert ax.get_xlabel() and ax.get_ylabel() == "accuracy (%)" and ax.get_title() == "title"


def test_memory_trace_and_attention_maps_are_labelled():
    meta = build_mann(3, 0)
    batch = sequences(3, 2, 1, 0, "test", q_query=1).sample()
    run = run_sequences(meta, batch.x_support, batch.y_support, record=True)
    fig = plot_memory_trace(memory_trace(meta, run), run.labels[0], run.instances[0], "trace")
    write, read = fig.axes[0], fig.axes[1]
    assert write.get_ylabel() == "memory slot" and read.get_xlabel().startswith("step")
    assert "write" in write.get_title() and "read" in read.get_title()
    assert [t.get_text() for t in write.get_legend().get_texts()] == ["least-used slot before the step"]
    fig = plot_attention(torch.rand(4, 3).softmax(-1), torch.tensor([0, 1, 2]), torch.tensor([0, 0, 1, 2]), "att")
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel() and fig.axes[0].get_title() == "att"


def test_write_order_maps_are_labelled_and_name_the_slot_of_every_step():
    write = torch.eye(4).repeat(3, 1)  # [12, 4]: slots 0, 1, 2, 3 in turn
    orders = {name: {"write": write, "slots": [0, 1, 2, 3] * 3} for name in ("even", "slot 0")}
    fig = plot_write_order(orders, "the takeaway")
    maps = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in maps] == ["even", "slot 0"] and fig._suptitle.get_text() == "the takeaway"
    assert maps[0].get_ylabel() == "memory slot" and all(ax.get_xlabel() == "step t" for ax in maps)
    assert [t.get_text() for t in maps[0].texts] == [str(s) for s in orders["even"]["slots"]]
    assert any("write weight" in ax.get_ylabel() for ax in fig.axes)  # the colour bar
