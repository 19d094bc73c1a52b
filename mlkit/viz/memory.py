"""Pictures for notebook 08: an episode shown as a sequence with its labels one step late, accuracy by instance,
the order in which least-recently-used access writes, the write and read weights of a MANN's memory over one
episode (Santoro et al. 2016, §2, §3.2, Table 1), and the attention of Meta Networks over its key memory
(Munkhdalai & Yu 2017, §3).

Every function returns a closed figure (see ``mlkit.viz.tasks.finish``): end a cell with the call to show it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from torch import Tensor

from mlkit.evaluate import Score
from mlkit.viz.tasks import finish


def plot_sequence(x: Tensor, y: Tensor, steps: int = 10,
                  title: str = "input at step t: image $x_t$ and the previous label $y_{t-1}$"):
    """The first ``steps`` images of one sequence (x [S, 1, H, W], labels y [S]) with what the network gets at
    each step: the image and the label of the step before (none at step 0); the label to predict underneath."""
    steps = min(steps, len(y))
    fig, axes = plt.subplots(1, steps, figsize=(1.1 * steps, 1.9))
    for t, ax in enumerate(np.atleast_1d(axes)):
        ax.imshow(x[t, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"t = {t}\nin: {'–' if t == 0 else int(y[t - 1])}", fontsize=8)
        ax.set_xlabel(f"target {int(y[t])}", fontsize=8)
    fig.suptitle(title, fontsize=9)
    return finish(fig)


def plot_write_order(orders: dict[str, dict], title: str):
    """One heat map per read pattern (``orders``: name -> ``{"write": [steps, slots], "slots": [...]}``, as
    ``mlkit.exercises.memory.lrua_order`` returns): the write weight of every slot (rows) at every step (columns),
    the slot written most at each step printed in its cell."""
    fig, axes = plt.subplots(1, len(orders), figsize=(4.6 * len(orders), 2.7), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, (name, order) in zip(axes[0], orders.items()):
        write = order["write"].numpy()  # [steps, slots]
        image = ax.imshow(write.T, aspect="auto", cmap="viridis", origin="lower", vmin=0, vmax=1,
                          interpolation="nearest")
        for t, slot in enumerate(order["slots"]):
            ax.text(t, slot, str(slot), ha="center", va="center", fontsize=7, color="black")
        ax.set_xticks(range(write.shape[0]))
        ax.set_xlabel("step t")
        ax.set_title(name, fontsize=9)
    axes[0, 0].set_yticks(range(orders[next(iter(orders))]["write"].shape[1]))
    axes[0, 0].set_ylabel("memory slot")
    fig.colorbar(image, ax=list(axes[0]), fraction=0.03, pad=0.01, label="write weight $w^w_t$")
    fig.suptitle(title, fontsize=10)
    plt.close(fig)  # constrained layout: no tight_layout (``finish``) on top of it
    return fig


def plot_instance_accuracy(curves: dict[str, dict[int, Score]], chance: float, title: str,
                           paper: dict[str, dict[int, float]] | None = None):
    """Accuracy (%) at the i-th image of a class, one line with 95% intervals per entry of ``curves``; the
    paper's values (``paper``, in %) as dashed lines; chance (1/N) as a dotted line."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for name, scores in curves.items():
        xs = sorted(scores)
        ax.errorbar(xs, [100 * scores[i].mean for i in xs], yerr=[100 * scores[i].ci95 for i in xs], marker="o",
                    capsize=3, label=name)
    for name, values in (paper or {}).items():
        xs = sorted(values)
        ax.plot(xs, [values[i] for i in xs], linestyle="--", marker="x", label=name)
    ax.axhline(100 * chance, color="0.5", linestyle=":", label=f"chance (1/{round(1 / chance)})")
    ax.set_xticks(sorted({i for scores in curves.values() for i in scores} | {i for v in (paper or {}).values() for i in v}))
    ax.set_xlabel("instance (the i-th image of its class in the sequence)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes: hides no point
    return finish(fig)


def plot_memory_trace(trace: dict[str, Tensor], labels: Tensor, instances: Tensor, title: str):
    """Two heat maps over the steps of one episode (columns) and the memory slots (rows): the write weights,
    with the least-used slot before each step marked, and the read weights. The tick labels under the columns
    give each step's label and, after a slash, which image of that class it is."""
    write, read = trace["write"].numpy(), trace["read"].numpy()  # [S+1, slots]
    steps = write.shape[0]
    fig, axes = plt.subplots(2, 1, figsize=(min(14, 2 + 0.22 * steps), 5.6), sharex=True)
    for ax, data, name in ((axes[0], write, "write weights $w^w_t$"), (axes[1], read, "read weights $w^r_t$")):
        image = ax.imshow(data.T, aspect="auto", cmap="viridis", origin="lower", interpolation="nearest")
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01, label="weight")
        ax.set_ylabel("memory slot")
        ax.set_title(name, fontsize=9)
    least = trace["least_used"][:, 0].numpy()
    axes[0].scatter(np.arange(steps), least, marker="s", facecolors="none", edgecolors="red", s=22,
                    label="least-used slot before the step")
    axes[0].legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False)  # above the map
    ticks = [f"{int(c)}/{int(i)}" for c, i in zip(labels, instances)] + ["(last\nlabel)"]
    axes[1].set_xticks(np.arange(steps), ticks[:steps], fontsize=6, rotation=90)
    axes[1].set_xlabel("step t (label / instance)")
    fig.suptitle(title, fontsize=10)
    return finish(fig)


def plot_attention(attention: Tensor, support_labels: Tensor, query_labels: Tensor, title: str):
    """Meta Networks' attention of each query (rows) over the support examples in the key memory (columns):
    softmax of the cosine similarity, the weights that mix the stored fast weights."""
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    image = ax.imshow(attention.numpy(), cmap="viridis", aspect="auto", interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02, label="attention weight")
    ax.set_xticks(range(len(support_labels)), [str(int(c)) for c in support_labels], fontsize=7)
    ax.set_yticks(range(len(query_labels)), [str(int(c)) for c in query_labels], fontsize=6)
    ax.set_xlabel("support example in memory (its label)")
    ax.set_ylabel("query (its true label)")
    ax.set_title(title, fontsize=10)
    return finish(fig)
