"""The student's training run beside mlkit's (``mlkit.exercises.race``): two loss curves that should coincide."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from mlkit.viz.tasks import finish, outside_legend


def smoothed(values: list[float], window: int) -> np.ndarray:
    """Running mean over ``window`` iterations (the raw meta-loss jumps from one meta-batch to the next)."""
    values_ = np.asarray(values, dtype=float)
    if len(values_) < window:
        return values_
    return np.convolve(values_, np.ones(window) / window, mode="valid")


def plot_race(race, title: str = "", window: int = 25, ylabel: str = "meta-loss"):
    """Training meta-loss (running mean over ``window`` meta-batches) of the student's run and mlkit's; ``ylabel``
    names what the steps return when it is not a meta-loss (e.g. Reptile's query error after the inner steps)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    mlkit = smoothed(race.mlkit, window)
    ax.plot(np.arange(len(mlkit)) + window, mlkit, lw=4, alpha=0.35, color="tab:blue", label=f"mlkit's {race.label}")
    if race.student:
        yours = smoothed(race.student, window)
        ax.plot(np.arange(len(yours)) + window, yours, lw=1.2, color="black", ls="--", label=f"your {race.label}")
    ax.set_xlabel("meta-iteration"), ax.set_ylabel(f"{ylabel} (mean of {window} batches)")
    ax.set_title(title or (f"Your {race.label} traces mlkit's curve: the same numbers, computed one task at a time"
                           if race.agree() else f"Your {race.label} (dashed) and mlkit's"), fontsize=10)
    outside_legend(ax)
    return finish(fig)
