"""The gate explorer of notebook 04: pick the shots (1 or 5) and a test episode, see the LSTM meta-learner's gates.

The models are the checkpoints made by ``python -m mlkit reproduce lstm-omniglot`` (``mlkit/checkpoints/
lstm-meta-{1,5}shot.pt``). Their test episodes come from the test characters of the data they were trained on:
Omniglot split by character (the shipped subsets, or ``$MLKIT_OMNIGLOT``). Gates are computed once per (shots,
episodes, seed) and cached, so moving a slider only redraws.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import torch

from mlkit.checkpoint import load_meta_learner, read_checkpoint
from mlkit.checks import check_choice, check_int
from mlkit.meta.lstm_meta import LSTMMetaLearner, layer_gates
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.viz.gates import plot_episode_gates
from mlkit.widgets import explore

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
SHOTS = (1, 5)


@lru_cache(maxsize=None)
def load_gate_model(shots: int) -> LSTMMetaLearner:
    """The shipped meta-learner for ``shots``-shot episodes (read once, then cached)."""
    check_choice("shots", shots, SHOTS)
    return load_meta_learner(CHECKPOINTS / f"lstm-meta-{shots}shot.pt")


@lru_cache(maxsize=None)
def test_split(data: str):
    """The test classes of ``data`` (the dataset named in the checkpoint): (name, dataset)."""
    if data == "omniglot":
        from mlkit.tasks.omniglot import Omniglot

        return "omniglot", Omniglot(os.environ.get("MLKIT_OMNIGLOT") or None, split="test", split_by="character")
    from mlkit.tasks.glyphs import Glyphs

    return "glyphs", Glyphs(split="test")


@lru_cache(maxsize=None)
def gate_episodes(shots: int = 1, n_episodes: int = 20, seed: int = 0) -> dict[str, Any]:
    """Adapt the shipped ``shots``-shot model to ``n_episodes`` 5-way test episodes (seeded) and summarise its gates.

    Returns ``{"gates": layer_gates(...) ({layer: {"forget", "input", "forget_mean", "input_mean": [steps,
    episodes], "coordinate"}}), "accuracy": [episodes], "data": name}``.
    """
    shots = check_choice("shots", shots, SHOTS)
    trained_on = read_checkpoint(CHECKPOINTS / f"lstm-meta-{shots}shot.pt").get("data", "glyphs")
    name, dataset = test_split(trained_on)
    return {**episode_gates(load_gate_model(shots), dataset, shots, n_episodes, seed), "data": name}


def episode_gates(meta: LSTMMetaLearner, dataset, shots: int, n_episodes: int = 20, seed: int = 0) -> dict[str, Any]:
    """Any meta-learner's gates on ``n_episodes`` 5-way ``shots``-shot episodes of ``dataset`` (sampler ``seed``;
    the same seed picks each layer's random coordinate): ``{"gates": layer_gates(...), "accuracy": [episodes]}``."""
    n_episodes = check_int("n_episodes", n_episodes, 1, 200)
    seed = check_int("seed", seed, 0)
    batch = EpisodeSampler(dataset, n_way=5, k_shot=shots, q_query=15, meta_batch=n_episodes, seed=seed).sample()
    predictor = meta.adapt(batch.x_support, batch.y_support)
    accuracy = (predictor.predict(batch.x_query) == batch.y_query).float().mean(1)  # [episodes]
    return {"gates": layer_gates(predictor.extras, torch.Generator().manual_seed(seed)), "accuracy": accuracy}


def show_episode(shots: int = 1, episode: int = 0, n_episodes: int = 20, seed: int = 0) -> dict[str, float]:
    """Plot one episode's gates per layer and print ``accuracy = ...`` on its queries; returns the printed numbers."""
    found = gate_episodes(shots, n_episodes, seed)
    episode = check_int("episode", episode, 0, n_episodes - 1)
    gates = found["gates"]
    plot_episode_gates(gates, episode, f"{shots}-shot, test episode {episode} ({found['data']}): "
                                       "solid = one coordinate per layer, dashed = layer mean")
    plt.show()
    numbers = {"accuracy": 100 * float(found["accuracy"][episode]),
               "mean_forget": float(torch.stack([g["forget_mean"][:, episode] for g in gates.values()]).mean()),
               "mean_input": float(torch.stack([g["input_mean"][:, episode] for g in gates.values()]).mean())}
    print(f"accuracy = {numbers['accuracy']:.1f} %   1 - mean forget gate = {1 - numbers['mean_forget']:.1e}   "
          f"mean input gate = {numbers['mean_input']:.3f}")
    return numbers


def gate_explorer(shots: int = 1, n_episodes: int = 20, seed: int = 0):
    """Sliders for the shots (1 or 5, starting at ``shots``) and the episode, redrawing ``show_episode``."""
    import ipywidgets as widgets

    return explore(
        lambda shots, episode: show_episode(shots, episode, n_episodes, seed) and None,  # plot + line, no dict repr
        shots=widgets.SelectionSlider(options=list(SHOTS), value=check_choice("shots", shots, SHOTS),
                                      description="shots"),
        episode=widgets.IntSlider(value=0, min=0, max=n_episodes - 1, description="episode"),
    )
