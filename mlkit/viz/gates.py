"""Plots for notebook 04 (Ravi & Larochelle 2017): the §3.2 preprocessing and Figure 3, the gates of the LSTM
meta-learner over its updates. Each function draws one figure and returns it."""
from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import torch
from torch import Tensor

from mlkit.meta.lstm_meta import preprocess
from mlkit.viz.tasks import finish

GATE_COLORS = {"forget": "tab:blue", "input": "tab:red"}


def plot_preprocessing(p: float = 10.0, low: float = 1e-8, high: float = 10.0):
    """The two outputs of the §3.2 preprocessing for x from −high to high (log-spaced magnitudes)."""
    magnitudes = torch.logspace(torch.log10(torch.tensor(low)), torch.log10(torch.tensor(high)), 400)
    x = torch.cat([-magnitudes.flip(0), magnitudes])  # [800]
    out = preprocess(x, p)  # [800, 2]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    threshold = torch.exp(torch.tensor(-p)).item()
    titles = ("first output: log|x| / p, or −1", "second output: sign x, or eᵖ·x")
    for ax, column, title in zip(axes, (0, 1), titles):
        ax.plot(x, out[:, column], color="tab:purple")
        ax.set_xscale("symlog", linthresh=threshold)
        for side in (-threshold, threshold):
            ax.axvline(side, color="0.6", ls=":", lw=1)
        ax.set_xlabel("x (symmetric log scale; dotted: ±e⁻ᵖ)"), ax.set_title(title, fontsize=10)
    fig.suptitle(f"Preprocessing of gradients and losses, p = {p:g}", fontsize=11)
    fig.tight_layout()
    return fig


def plot_gate_figure(gates_by_shot: Mapping[int, Mapping[str, Mapping[str, Tensor]]], statistic: str = "coordinate"):
    """Figure 3: one row per learner layer; columns forget 1-shot, forget 5-shot, input 1-shot, input 5-shot.

    ``gates_by_shot``: {shots: ``layer_gates(...)``}. ``statistic="coordinate"`` draws the layer's randomly chosen
    coordinate (the paper's choice), ``"mean"`` the average over the layer's coordinates; one line per episode.
    """
    shots = sorted(gates_by_shot)
    layers = list(next(iter(gates_by_shot.values())))
    columns = [(gate, k) for gate in ("forget", "input") for k in shots]
    fig, axes = plt.subplots(len(layers), len(columns), figsize=(2.6 * len(columns), 1.6 * len(layers)),
                             sharex="col", sharey="col", squeeze=False)
    key = {"coordinate": "{}", "mean": "{}_mean"}[statistic]
    for row, layer in enumerate(layers):
        for col, (gate, k) in enumerate(columns):
            values = gates_by_shot[k][layer][key.format(gate)]  # [steps, episodes]
            ax = axes[row, col]
            steps = torch.arange(1, values.shape[0] + 1)
            ax.plot(steps, values, color=GATE_COLORS[gate], alpha=0.35, lw=1)
            if row == 0:
                ax.set_title(f"{gate} gate, {k}-shot", fontsize=10)
            if col == 0:
                ax.set_ylabel(layer, fontsize=9)
            if row == len(layers) - 1:
                ax.set_xlabel("update t")
            ax.tick_params(labelsize=7)
            ax.ticklabel_format(axis="y", useOffset=False)  # forget gates sit at 0.9999...: show them as they are
    what = "a random coordinate" if statistic == "coordinate" else "mean over the coordinates"
    fig.suptitle(f"Gate values over the updates, one line per episode ({what} of each layer)", fontsize=11)
    fig.tight_layout()
    return fig


def plot_episode_gates(gates: Mapping[str, Mapping[str, Tensor]], episode: int, title: str = ""):
    """One episode: for each layer, its random coordinate's forget and input gates (solid) and the layer means
    (dashed) over the updates; input gates on their own axis (right)."""
    layers = list(gates)
    fig, axes = plt.subplots(1, len(layers), figsize=(2.4 * len(layers), 2.6), sharey=True)
    for ax, layer in zip(axes, layers):
        g = gates[layer]
        steps = torch.arange(1, g["forget"].shape[0] + 1)
        ax.plot(steps, g["forget"][:, episode], color=GATE_COLORS["forget"], label="forget")
        ax.plot(steps, g["forget_mean"][:, episode], color=GATE_COLORS["forget"], ls="--", lw=1)
        right = ax.twinx()
        right.plot(steps, g["input"][:, episode], color=GATE_COLORS["input"], label="input")
        right.plot(steps, g["input_mean"][:, episode], color=GATE_COLORS["input"], ls="--", lw=1)
        right.tick_params(labelsize=7, colors=GATE_COLORS["input"])
        ax.tick_params(labelsize=7)
        ax.set_title(layer, fontsize=9), ax.set_xlabel("update t", fontsize=8)
    axes[0].set_ylabel("forget gate", color=GATE_COLORS["forget"])
    fig.suptitle(title or f"episode {episode}: gates (solid: one coordinate, dashed: layer mean)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_mean_gates(runs: Mapping[str, Mapping[str, Tensor]], title: str = ""):
    """The input gate (left, log scale) and the forget gate (right) averaged over all coordinates, per update, for
    several models: ``runs`` is ``{label: {"input": [T], "forget": [T]}}`` (``mlkit.live.lstm.mean_gates``)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.9))
    for label, gates in runs.items():
        steps = torch.arange(1, len(gates["input"]) + 1)
        (line,) = left.plot(steps, gates["input"], marker="o", ms=3, label=label)
        right.plot(steps, gates["forget"], marker="o", ms=3, color=line.get_color(), label=label)
    left.set_yscale("log")
    left.set_ylabel("mean input gate (step size)"), right.set_ylabel("mean forget gate")
    for ax in (left, right):
        ax.set_xlabel("update t"), ax.legend(fontsize=8)
    right.ticklabel_format(axis="y", useOffset=False)
    fig.suptitle(title or "gates averaged over all coordinates", fontsize=10)
    return finish(fig)
