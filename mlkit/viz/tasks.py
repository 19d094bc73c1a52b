"""Pictures of tasks: sine tasks with their support and query points, glyph classes, one episode, and
training curves.

Every function returns a closed matplotlib figure: a notebook shows it by ending a cell with the call (one
image, however the kernel's inline backend is set up, which keeps nbval's comparison stable).
"""
from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import torch

from mlkit.tasks.batch import TaskBatch


def outside_legend(ax, **kwargs: Any) -> None:
    """The legend of ``ax`` to the right of its plot, where it covers no curve."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), **kwargs)


def finish(fig):
    """Tidy the layout and close the figure so it is displayed only where the notebook returns it."""
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_sine_tasks(tasks, batch: TaskBatch, n: int = 4):
    """The true curves of the first ``n`` tasks of ``batch`` with their support (dots) and query (crosses) points."""
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.6), sharey=True)
    grid = torch.linspace(*tasks.x_range, 200).view(1, -1, 1).expand(batch.n_tasks, -1, -1)  # [T, 200, 1]
    curves = tasks.function(batch.info, grid)
    for t, ax in enumerate(axes):
        ax.plot(grid[t, :, 0], curves[t, :, 0], color="0.6", label="true function")
        ax.scatter(batch.x_support[t, :, 0], batch.y_support[t, :, 0], s=18, label="support")
        ax.scatter(batch.x_query[t, :, 0], batch.y_query[t, :, 0], marker="x", s=18, label="query")
        ax.set_title(f"task {t}", fontsize=10), ax.set_xlabel("x")
    axes[0].set_ylabel("y")
    outside_legend(axes[-1])
    fig.suptitle("sine tasks: each has its own amplitude, frequency and phase", fontsize=10)
    return finish(fig)


def plot_class_grid(dataset, n_classes: int = 8, n_examples: int = 6):
    """``n_examples`` images (columns) of each of the first ``n_classes`` classes (rows)."""
    fig, axes = plt.subplots(n_classes, n_examples, figsize=(1.1 * n_examples, 1.1 * n_classes))
    for c in range(n_classes):
        for i in range(n_examples):
            ax = axes[c, i]
            ax.imshow(dataset.images[c, i, 0], cmap="gray_r", vmin=0, vmax=255)
            ax.set_xticks([]), ax.set_yticks([])
        axes[c, 0].set_ylabel(dataset.class_names[c], rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(f"{n_classes} classes (rows), {n_examples} drawings of each (columns)", fontsize=10)
    return finish(fig)


def plot_episode(batch: TaskBatch, task: int = 0):
    """One image episode: the support set (top row, one per label) and the query set with its labels."""
    xs, ys, xq, yq = batch.x_support[task], batch.y_support[task], batch.x_query[task], batch.y_query[task]
    columns = max(len(xs), len(xq))
    fig, axes = plt.subplots(2, columns, figsize=(1.0 * columns, 2.4))
    for row, (x, y, name) in enumerate(((xs, ys, "support"), (xq, yq, "query"))):
        for i in range(columns):
            ax = axes[row, i]
            ax.set_xticks([]), ax.set_yticks([])
            if i < len(x):
                ax.imshow(x[i, 0], cmap="gray_r", vmin=0, vmax=1)
                ax.set_title(f"label {int(y[i])}", fontsize=7)
            else:
                ax.axis("off")
        axes[row, 0].set_ylabel(name)
    fig.suptitle(f"one episode: {len(xs)} support and {len(xq)} query images", fontsize=10)
    return finish(fig)


def plot_history(history: Any, metric_name: str = "validation MSE", title: str = "",
                 log: bool = False):
    """Training loss (left) and validation metric (right) against the meta-iteration.

    ``history``: one ``mlkit.train.History``, or ``{label: History}`` for several runs, one colour and legend entry
    each. ``log=True`` draws both on a log scale (runs whose losses differ by orders of magnitude).
    """
    runs = dict(history) if isinstance(history, Mapping) else {"": history}
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.9))
    for label, run in runs.items():
        (line,) = left.plot(run.steps, run.train_loss, lw=1.2, label=label or None)
        right.plot(run.val_steps, run.val_metric, marker="o", ms=3, color=line.get_color(), label=label or None)
        if run.diverged:
            left.axvline(run.diverged_at, color=line.get_color(), ls=":", lw=1)
    left.set_xlabel("meta-iteration"), left.set_ylabel("meta-loss (training batches)")
    right.set_xlabel("meta-iteration"), right.set_ylabel(metric_name)
    left.set_title("training", fontsize=10), right.set_title("validation", fontsize=10)
    for ax in (left, right):
        if log:
            ax.set_yscale("log")
    if len(runs) > 1:  # beside the plot, where it covers no curve
        outside_legend(right)
    if title:
        fig.suptitle(title, fontsize=10)
    return finish(fig)
