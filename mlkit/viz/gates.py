"""Plots for notebook 04 (Ravi & Larochelle 2017): the §3.2 preprocessing, the gates of a live run before and after
training, Figure 3 (the gates of the LSTM meta-learner over its updates) and the gates at one update t. Each function
draws one figure, labels every axis, and returns the figure (closed: the notebook displays it where it returns it)."""
from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

from mlkit.meta.lstm_meta import preprocess
from mlkit.viz.tasks import finish, outside_legend

GATE_COLORS = {"forget": "tab:blue", "input": "tab:red"}


def plot_preprocessing(p: float = 10.0, low: float = 1e-8, high: float = 10.0, title: str = ""):
    """The two outputs of the §3.2 preprocessing for x from −high to high (log-spaced magnitudes)."""
    magnitudes = torch.logspace(torch.log10(torch.tensor(low)), torch.log10(torch.tensor(high)), 400)
    x = torch.cat([-magnitudes.flip(0), magnitudes])  # [800]
    out = preprocess(x, p)  # [800, 2]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    threshold = torch.exp(torch.tensor(-p)).item()
    names = ("first output: log|x| / p, or −1", "second output: sign x, or eᵖ·x")
    for ax, column, name in zip(axes, (0, 1), names):
        ax.plot(x, out[:, column], color="tab:purple")
        ax.set_xscale("symlog", linthresh=threshold)
        ticks = [-high, -1e-2, 0.0, 1e-2, high]
        ax.set_xticks(ticks, [f"{t:g}".replace("-", "−") for t in ticks], fontsize=8)
        ax.minorticks_off()
        for side in (-threshold, threshold):
            ax.axvline(side, color="0.6", ls=":", lw=1)
        ax.set_xlabel("x (symmetric log scale; dotted: ±e⁻ᵖ)"), ax.set_ylabel(name, fontsize=9)
    fig.suptitle(title or f"Preprocessing of gradients and losses, p = {p:g}", fontsize=10)
    return finish(fig)


def plot_gate_figure(gates_by_shot: Mapping[int, Mapping[str, Mapping[str, Tensor]]], statistic: str = "coordinate",
                     title: str = ""):
    """Figure 3: one row per learner layer; columns forget 1-shot, forget 5-shot, input 1-shot, input 5-shot.

    ``gates_by_shot``: {shots: ``layer_gates(...)``}. ``statistic="coordinate"`` draws the layer's randomly chosen
    coordinate (the paper's choice), ``"mean"`` the average over the layer's coordinates; one line per episode.
    """
    shots = sorted(gates_by_shot)
    layers = list(next(iter(gates_by_shot.values())))
    columns = [(gate, k) for gate in ("forget", "input") for k in shots]
    fig, axes = plt.subplots(len(layers), len(columns), figsize=(2.6 * len(columns), 1.6 * len(layers) + 0.4),
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
            ax.set_ylabel(f"{layer}: {gate}" if col % len(shots) == 0 else f"{gate} gate", fontsize=8)
            ax.set_xlabel("update t", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.ticklabel_format(axis="y", useOffset=False)  # forget gates sit at 0.9999...: show them as they are
    what = "a random coordinate" if statistic == "coordinate" else "mean over the coordinates"
    fig.suptitle(title or f"Gate values over the updates, one line per episode ({what} of each layer)", fontsize=11)
    return finish(fig)


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


def plot_gates_at_step(story: Mapping[str, Any], step: int, title: str = ""):
    """The gates' story at update ``step`` of a meta-learner's episodes (``mlkit.widgets.gates.gate_story``).

    Top: the input gate (left) and 1 − forget gate (right) of every layer over the updates, averaged over the layer's
    coordinates (line: mean over the episodes; band: the episodes' range), a dotted line at ``step``. Bottom left:
    how the input gates of every coordinate and episode are spread at ``step``, one outline per layer. Bottom right:
    the query accuracy after each number of updates (mean over the episodes and their range)."""
    layers = story["layers"]
    n_steps = story["input"].shape[0]
    t = min(max(int(step), 1), n_steps)
    updates = np.arange(1, n_steps + 1)
    fig, axes = plt.subplots(2, 2, figsize=(10, 5.6))
    (ax_input, ax_forget), (ax_hist, ax_accuracy) = axes
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(layers)))
    for color, (layer, where) in zip(colors, layers.items()):
        inputs = story["input"][:, :, where].mean(-1).numpy()  # [steps, episodes]
        decay = story["decay"][:, :, where].double().mean(-1).numpy()  # 1 − f_t
        for ax, values in ((ax_input, inputs), (ax_forget, decay)):
            ax.plot(updates, values.mean(1), color=color, marker="o", ms=3, label=layer)
            ax.fill_between(updates, values.min(1), values.max(1), color=color, alpha=0.15, lw=0)
        at_t = story["input"][t - 1, :, where].reshape(-1).numpy()
        ax_hist.hist(at_t, bins=np.linspace(0.0, 1.0, 41), histtype="step", color=color, lw=1.4, label=layer,
                     weights=np.full(at_t.shape, 100.0 / at_t.size))
    ax_forget.set_yscale("log")
    for ax in (ax_input, ax_forget, ax_accuracy):
        ax.axvline(t, color="0.4", ls=":", lw=1.2)
        ax.set_xlabel("update t"), ax.set_xticks(updates)
    ax_input.set_ylabel("input gate $i_t$ (layer mean)")
    ax_forget.set_ylabel("$1 - f_t$ (layer mean, log)")
    ax_hist.set_xlabel(f"input gate $i_t$ of each coordinate at update t = {t}")
    ax_hist.set_ylabel("% of the layer's coordinates")
    accuracy = 100 * story["accuracy"].numpy()  # [steps, episodes]
    ax_accuracy.plot(updates, accuracy.mean(1), color="black", marker="o", ms=3, label="mean over episodes")
    ax_accuracy.fill_between(updates, accuracy.min(1), accuracy.max(1), color="0.5", alpha=0.2, lw=0,
                             label="range over episodes")
    ax_accuracy.set_ylabel("query accuracy after t updates (%)")
    ax_accuracy.legend(fontsize=8, loc="lower right")
    outside_legend(ax_forget)
    fig.suptitle(title or f"The gates at update t = {t} of {n_steps}", fontsize=10)
    return finish(fig)
