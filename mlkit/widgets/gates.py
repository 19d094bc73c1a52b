"""The gates of notebook 04's shipped LSTM meta-learners, update by update, and the explorer that moves over them.

The models are the checkpoints made by ``python -m mlkit reproduce lstm-omniglot`` (``mlkit/checkpoints/
lstm-meta-{1,5}shot.pt``). Their test episodes come from the test characters of the data they were trained on:
Omniglot split by character (the shipped subsets, or ``$MLKIT_OMNIGLOT``). ``gate_story`` runs a model's T updates on
a set of test episodes once, recording at every update t the gates of every coordinate and the query accuracy the
learner has reached; the explorer's slider then moves over t (the gates' story over the inner steps) and only
redraws.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from IPython.display import display
from torch import Tensor

from mlkit.checkpoint import load_meta_learner, read_checkpoint
from mlkit.checks import check_choice, check_int
from mlkit.learners import ConvNet
from mlkit.learners.conv import RunningStats
from mlkit.meta.losses import task_losses
from mlkit.meta.lstm_meta import LSTMMetaLearner, gate_table, layer_gates, preprocess
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.viz.gates import plot_gates_at_step
from mlkit.widgets import explore

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
SHOTS = (1, 5)
QUERIES = 5  # query images per class of the gates' test episodes: the accuracy after every update costs a forward each


@lru_cache(maxsize=None)
def load_gate_model(shots: int) -> LSTMMetaLearner:
    """The shipped meta-learner for ``shots``-shot episodes (read once, then cached)."""
    check_choice("shots", shots, SHOTS)
    meta = load_meta_learner(CHECKPOINTS / f"lstm-meta-{shots}shot.pt")
    if not isinstance(meta, LSTMMetaLearner):
        raise ValueError(f"lstm-meta-{shots}shot.pt holds a {meta.name} model, not an LSTM meta-learner")
    return meta


@lru_cache(maxsize=None)
def test_split(data: str):
    """The test classes of ``data`` (the dataset named in the checkpoint): (name, dataset)."""
    if data == "omniglot":
        from mlkit.tasks.omniglot import Omniglot

        return "omniglot", Omniglot(os.environ.get("MLKIT_OMNIGLOT") or None, split="test", split_by="character")
    from mlkit.tasks.glyphs import Glyphs

    return "glyphs", Glyphs(split="test")


def record_updates(meta: LSTMMetaLearner, batch: TaskBatch) -> dict[str, Any]:
    """Meta-test ``batch`` as ``meta.adapt`` does (T updates, then the query normalised with the episode's running
    batch-norm statistics, §3.4), recording after every update t the gates and the query accuracy reached.

    Returns ``{"forget", "input": [T, episodes, n] (after the sigmoid), "decay": 1 − f_t [T, episodes, n] (computed
    as σ(−pre-activation), so that it stays exact where f_t rounds to 1 in float32), "accuracy": [T, episodes] (after
    t updates), "layers": meta.layer_slices(), "cell": c_T [episodes, n]}``. The updates are those of
    ``LSTMMetaLearner.run_episode`` step by step (the same numbers: a test compares them)."""
    x, y = batch.x_support, batch.y_support
    t, n = x.shape[0], meta.n_coordinates
    running = RunningStats.for_learner(meta.learner, t, meta.bn_momentum) if isinstance(meta.learner, ConvNet) \
        else None
    c = meta.initial_state(t)  # [T, n]
    state = (c.new_zeros(t * n, meta.hidden), c.new_zeros(t * n, meta.hidden))
    previous = c.new_zeros(t * n, 2)
    found: dict[str, list[Tensor]] = {"forget": [], "input": [], "decay": [], "accuracy": []}
    with torch.no_grad():
        for _ in range(meta.steps):
            with torch.enable_grad():  # the learner's loss and gradient, as constants (§3.3.1)
                theta = c.detach().requires_grad_(True)
                losses = task_losses(meta._learner(x, meta.weights_of(theta), running), y, meta.task_type)  # [T]
                grad, = torch.autograd.grad(losses.sum(), theta)  # [T, n]
            features = torch.cat([preprocess(losses.detach(), meta.p).unsqueeze(1).expand(t, n, 2),
                                  preprocess(grad, meta.p)], dim=2)  # [T, n, 4]
            h, cell, c_rows, previous = meta._lstm_rows(features.reshape(t * n, 4), *state, c.reshape(t * n),
                                                        previous, grad.reshape(t * n))
            state, c = (h, cell), c_rows.view(t, n)
            forget, inputs = torch.sigmoid(previous).unbind(1)
            found["forget"].append(forget.view(t, n))
            found["input"].append(inputs.view(t, n))
            found["decay"].append(torch.sigmoid(-previous[:, 0]).view(t, n))  # 1 − f_t, exact even where f_t = 1
            if running is not None:
                running.update = False  # the query sees the running averages, as at meta-test time
            outputs = meta._learner(batch.x_query, meta.weights_of(c), running)  # [T, Q, classes]
            if running is not None:
                running.update = True
            found["accuracy"].append((outputs.argmax(-1) == batch.y_query).float().mean(1))
    return {**{k: torch.stack(v) for k, v in found.items()}, "layers": meta.layer_slices(), "cell": c}


@lru_cache(maxsize=None)
def gate_story(shots: int = 1, n_episodes: int = 20, seed: int = 0) -> dict[str, Any]:
    """The shipped ``shots``-shot model on ``n_episodes`` 5-way test episodes (seeded, ``QUERIES`` queries per
    class), update by update
    (``record_updates``), plus Figure 3's summary: ``"gates"`` (``layer_gates``: one random coordinate per layer, the
    ``seed`` choosing it), ``"data"`` (the dataset's name) and ``"shots"``. Cached: computed once per arguments."""
    shots = check_choice("shots", shots, SHOTS)
    n_episodes = check_int("n_episodes", n_episodes, 1, 200)
    seed = check_int("seed", seed, 0)
    trained_on = read_checkpoint(CHECKPOINTS / f"lstm-meta-{shots}shot.pt").get("data", "glyphs")
    name, dataset = test_split(trained_on)
    batch = EpisodeSampler(dataset, n_way=5, k_shot=shots, q_query=QUERIES, meta_batch=n_episodes, seed=seed).sample()
    story = record_updates(load_gate_model(shots), batch)
    gates = layer_gates(story, torch.Generator().manual_seed(seed))
    return {**story, "gates": gates, "data": name, "shots": shots}


def figure3_numbers(story: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Figure 3 in numbers, per layer (``gate_table`` of the story's ``"gates"``), with the forget gate's distance
    from 1 averaged over all the layer's coordinates, updates and episodes as ``"decay"`` (from ``story["decay"]``,
    exact where f_t rounds to 1)."""
    table = gate_table(story["gates"])
    for layer, where in story["layers"].items():
        table[layer]["decay"] = float(story["decay"][:, :, where].double().mean())
    return table


def print_figure3_numbers(stories: dict[int, dict[str, Any]]) -> None:
    """Print ``figure3_numbers`` for each shots' story: 1 − mean forget gate, mean input gate, and the input gate's
    spread across episodes at the random coordinate and for the layer mean."""
    for shots, story in stories.items():
        print(f"{shots}-shot          1 - mean forget   mean input   input spread (coordinate)   (layer mean)")
        for layer, row in figure3_numbers(story).items():
            print(f"  {layer:<16}{row['decay']:>14.1e}{row['input_mean']:>13.3f}"
                  f"{row['input_spread_coordinate']:>21.3f}{row['input_spread_layer_mean']:>20.3f}")


def step_numbers(story: dict[str, Any], step: int) -> dict[str, Any]:
    """The numbers of update ``step``: per layer the mean input gate (over coordinates and episodes) and its spread
    across episodes (std of the layer mean), the mean input gate and the mean 1 − f_t of all coordinates
    (``"decay"``), and the query accuracy (%) after ``step`` updates, averaged over the episodes."""
    t = check_int("step", step, 1, story["input"].shape[0]) - 1
    per_layer = {layer: story["input"][t, :, where].mean(-1) for layer, where in story["layers"].items()}  # [episodes]
    return {"input": {layer: float(v.mean()) for layer, v in per_layer.items()},
            "input_spread": {layer: float(v.std()) for layer, v in per_layer.items()},
            "input_mean": float(story["input"][t].mean()), "decay": float(story["decay"][t].double().mean()),
            "accuracy": 100 * float(story["accuracy"][t].mean())}


def gate_steps_table(shots: int = 1, n_episodes: int = 20, seed: int = 0) -> dict[int, dict[str, Any]]:
    """Print, for every update t of the shipped ``shots``-shot model, the numbers behind the explorer's figure
    (``step_numbers``); returns them by t."""
    story = gate_story(shots, n_episodes, seed)
    rows = {t: step_numbers(story, t) for t in range(1, story["input"].shape[0] + 1)}
    layers = list(story["layers"])
    print(f"{shots}-shot model, {n_episodes} test episodes: mean input gate per layer ({', '.join(layers)}), "
          "1 - mean forget gate, query accuracy after t updates")
    for t, row in rows.items():
        gates = " ".join(f"{row['input'][layer]:.3f}" for layer in layers)
        print(f"  t = {t:2d}   input {gates}   1 - forget {row['decay']:.1e}   "
              f"accuracy {row['accuracy']:5.1f} %")
    return rows


def show_step(shots: int = 1, step: int = 1, n_episodes: int = 20, seed: int = 0) -> dict[str, Any]:
    """Draw the gates' story at update ``step`` (``plot_gates_at_step``) for the shipped ``shots``-shot model and
    print its numbers; a ``step`` beyond the model's T updates shows update T."""
    story = gate_story(shots, n_episodes, seed)
    n_steps = story["input"].shape[0]
    step = min(check_int("step", step, 1), n_steps)
    row = step_numbers(story, step)
    title = (f"{shots}-shot, update t = {step} of {n_steps}: steps of about {row['input_mean']:.2f} of the gradient, "
             f"forget gates within {row['decay']:.0e} of 1, {row['accuracy']:.0f} % of the queries right after it")
    display(plot_gates_at_step(story, step, title))
    print(f"update t = {step} of {n_steps}: mean input gate {row['input_mean']:.3f}, 1 - mean forget gate "
          f"{row['decay']:.1e}, query accuracy after it {row['accuracy']:.1f} %")
    return row


def gate_explorer(shots: int = 1, step: int = 1, n_episodes: int = 20, seed: int = 0):
    """A shots selector (1 or 5) and a slider over the update t (1..T of that model), redrawing ``show_step``."""
    import ipywidgets as widgets

    shots = check_choice("shots", shots, SHOTS)
    steps = {k: load_gate_model(k).steps for k in SHOTS}  # T of each model: the slider's range
    shots_control = widgets.ToggleButtons(options=list(SHOTS), value=shots, description="shots")
    step_control = widgets.IntSlider(value=min(check_int("step", step, 1), steps[shots]), min=1, max=steps[shots],
                                     description="update t")
    shots_control.observe(lambda change: setattr(step_control, "max", steps[change["new"]]), names="value")
    return explore(lambda shots, step: show_step(shots, step, n_episodes, seed) and None,  # plot + line, no repr
                   shots=shots_control, step=step_control)
