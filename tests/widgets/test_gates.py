"""Notebook 04's gate explorer: its recording of the updates is the meta-learner's own (the same cell states, gates
and accuracies as ``adapt``), its slider moves over the update t, and its plain twin prints numbers only."""
import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.meta.lstm_meta import LSTMMetaLearner
from mlkit.tasks.batch import TaskBatch
from mlkit.widgets import gates


def small_meta(steps=3):
    torch.manual_seed(0)
    return LSTMMetaLearner(ConvNet(hidden=4, image_size=16, downsample="maxpool"), steps=steps).eval()


def episode_batch(tasks=2, queries=3):
    g = torch.Generator().manual_seed(1)
    x, xq = torch.rand(tasks, 5, 1, 16, 16, generator=g), torch.rand(tasks, 5 * queries, 1, 16, 16, generator=g)
    return TaskBatch(x, torch.arange(5).repeat(tasks, 1), xq, torch.arange(5).repeat_interleave(queries).repeat(tasks, 1))


def test_recorded_updates_are_those_of_adapt_at_every_step():
    meta, batch = small_meta(), episode_batch()
    story = gates.record_updates(meta, batch)
    full = meta.adapt(batch.x_support, batch.y_support)
    assert torch.equal(story["cell"], full.extras["cell"])
    assert torch.equal(story["input"], full.extras["input"]) and torch.equal(story["forget"], full.extras["forget"])
    torch.testing.assert_close(1 - story["decay"], story["forget"])
    for t in (1, 2, 3):
        predicted = meta.adapt(batch.x_support, batch.y_support, steps=t).predict(batch.x_query)
        assert torch.equal(story["accuracy"][t - 1], (predicted == batch.y_query).float().mean(1)), t


def test_the_story_of_the_shipped_model_and_its_numbers():
    story = gates.gate_story(5, 10, 0)
    assert story["input"].shape[:2] == (5, 10) and story["accuracy"].shape == (5, 10)
    numbers = gates.step_numbers(story, 2)
    assert set(numbers["input"]) == set(story["layers"]) and 0 < numbers["decay"] < 1e-3
    with pytest.raises(ValueError, match="step must be an integer >= 1 and <= 5, got 6"):
        gates.step_numbers(story, 6)


def test_the_plain_twin_prints_one_row_per_update_and_draws_nothing(capsys):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    rows = gates.gate_steps_table(5, 10, 0)
    out = capsys.readouterr().out
    assert list(rows) == [1, 2, 3, 4, 5] and out.count("  t = ") == 5 and plt.get_fignums() == before


def test_the_explorer_slider_moves_over_the_update_and_follows_the_model(monkeypatch):
    monkeypatch.delenv("MLKIT_HEADLESS", raising=False)
    drawn = []
    monkeypatch.setattr(gates, "show_step", lambda shots, step, n_episodes, seed: drawn.append((shots, step)))
    box = gates.gate_explorer(shots=1, step=2, n_episodes=10)
    shots, step = box.children[:2]
    assert step.description == "update t" and (step.min, step.max, step.value) == (1, 12, 2)
    step.value = 7
    shots.value = 5
    assert step.max == 5 and step.value == 5  # the 5-shot model makes 5 updates
    assert drawn[0] == (1, 2) and (1, 7) in drawn and drawn[-1] == (5, 5)
