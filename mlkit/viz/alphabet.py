"""Pictures of notebook 09: pen strokes replayed, a drawn alphabet, the shipped model's answers and why it errs.

- ``plot_replay``: Omniglot drawings (Lake, Salakhutdinov & Tenenbaum 2015) as they stood at moments of their making
  (``strokes_until``) and, last, their strokes coloured and numbered in drawing order;
- ``plot_replay_at``: one drawing at time t, beside the timeline of its strokes (the explorer's picture);
- ``plot_pixel_path``: the 28x28 image a model reads with the pen's path on it, placed by a pixel conversion;
- ``plot_alphabet``: every drawing of an alphabet, the support pool apart from the test drawings;
- ``plot_answer``: the support drawings, the query and the squared distance to each prototype (Snell, Swersky &
  Zemel 2017, eq. 2), the nearest marked;
- ``plot_embeddings``: two prototypes and a query as heat rows of their 64 embedding values, with the squared
  differences that make up the two distances;
- ``plot_scores``: accuracy of the pixel nearest neighbour and of the Prototypical Network by setting;
- ``plot_variation``: how people's drawings of one character vary, beside perturbed copies of one drawing.

Every function returns a closed figure (``mlkit.viz.tasks.finish``): end a notebook cell with the call to show it.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from mlkit.live.alphabet import Alphabet, Answer
from mlkit.tasks.render import CANVAS, render_strokes, strokes_until
from mlkit.tasks.stroke_files import Drawing
from mlkit.viz.tasks import finish


def _bare(ax) -> None:
    ax.set_xticks([]), ax.set_yticks([])


def _ink(ax, drawing: Drawing, colours: bool = False, numbers: bool = False, lw: float = 2.0,
         of: int | None = None) -> None:
    """Strokes on a 105x105 paper (x right, y down as in the image), in black or coloured by order (stroke k of
    ``of`` strokes, default: of this drawing)."""
    ax.set_xlim(-0.5, CANVAS - 0.5), ax.set_ylim(CANVAS - 0.5, -0.5), ax.set_aspect("equal")
    cmap = plt.get_cmap("viridis")
    total = len(drawing) if of is None else of
    for k, stroke in enumerate(drawing):
        colour = cmap(k / max(total - 1, 1)) if colours else "black"
        if len(stroke) == 1:
            ax.plot(stroke[:, 0], -stroke[:, 1], "o", color=colour, ms=3)
        else:
            ax.plot(stroke[:, 0], -stroke[:, 1], color=colour, lw=lw, solid_capstyle="round")
        if numbers:
            ax.plot(stroke[0, 0], -stroke[0, 1], "o", ms=9, mfc="white", mec=colour, mew=1.5)
            ax.text(stroke[0, 0], -stroke[0, 1], str(k + 1), ha="center", va="center", fontsize=6, color=colour)
    _bare(ax)


def duration(drawing: Drawing) -> float:
    """The time of a drawing's last point, in ms."""
    return float(max(s[:, 2].max() for s in drawing))


def plot_replay(drawings: Sequence[Drawing], labels: Sequence[str], fractions: Sequence[float] = (0.2, 0.4, 0.6, 0.8)):
    """Each drawing (a row) at ``fractions`` of its duration, then complete with strokes numbered in order."""
    rows, cols = len(drawings), len(fractions) + 1
    fig, axes = plt.subplots(rows, cols, figsize=(1.7 * cols, 1.75 * rows), squeeze=False)
    for r, (drawing, label) in enumerate(zip(drawings, labels)):
        total = duration(drawing)
        for c, f in enumerate(fractions):
            shown = strokes_until(drawing, f * total)
            if shown:
                _ink(axes[r, c], shown, lw=1.6)
            else:
                axes[r, c].set_xlim(0, CANVAS), axes[r, c].set_ylim(CANVAS, 0)
                _bare(axes[r, c])
            axes[r, c].set_title(f"t = {f * total / 1000:.1f} s", fontsize=7)
        _ink(axes[r, -1], drawing, colours=True, numbers=True)
        axes[r, -1].set_title(f"{len(drawing)} strokes, in order", fontsize=7)
        axes[r, 0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle("A character is drawn stroke by stroke: the files keep the pen's path and its timing", fontsize=10)
    return finish(fig)


def plot_replay_at(drawing: Drawing, t: float, label: str = ""):
    """The drawing as it stood at ``t`` ms (left) and the timeline of its strokes with a line at ``t`` (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 2.8), gridspec_kw={"width_ratios": [1, 1.8]})
    shown = strokes_until(drawing, t)
    if shown:
        _ink(left, shown, colours=True, of=len(drawing))
    else:
        left.set_xlim(0, CANVAS), left.set_ylim(CANVAS, 0)
        _bare(left)
    left.set_title(f"{label} at t = {t / 1000:.2f} s", fontsize=8)
    cmap = plt.get_cmap("viridis")
    for k, stroke in enumerate(drawing):
        start, end = float(stroke[0, 2]), float(stroke[-1, 2])
        colour = cmap(k / max(len(drawing) - 1, 1))
        right.plot([start / 1000, max(end, start + 15) / 1000], [k + 1, k + 1], lw=6, color=colour,
                   solid_capstyle="butt")
    right.axvline(t / 1000, color="crimson", lw=1.5)
    right.set_xlim(-0.05, duration(drawing) / 1000 * 1.05 + 0.05)
    right.set_ylim(len(drawing) + 0.7, 0.3)
    right.set_yticks(range(1, len(drawing) + 1))
    right.set_xlabel("time (s)"), right.set_ylabel("stroke")
    right.set_title("pen down (bars); the red line is t", fontsize=8)
    begun = len(shown)
    fig.suptitle(f"By t = {t / 1000:.2f} s, {begun} of {len(drawing)} strokes were begun", fontsize=10)
    return finish(fig)


def plot_pixel_path(drawing: Drawing, paths: Mapping[str, Sequence[np.ndarray]], size: int = 28, title: str = ""):
    """The ``size`` x ``size`` image of ``drawing`` with the pen's path drawn over it by each conversion of
    ``paths`` (name -> one array [n, 2] of (row, column) per stroke)."""
    image = render_strokes(drawing, size)[0].numpy()
    fig, axes = plt.subplots(1, len(paths), figsize=(3.0 * len(paths), 3.1), squeeze=False)
    for ax, (name, strokes) in zip(axes[0], paths.items()):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        for stroke in strokes:
            stroke = np.asarray(stroke)
            if stroke.ndim == 2 and stroke.shape[1] == 2:
                ax.plot(stroke[:, 1], stroke[:, 0], color="crimson", lw=1.2, marker="." if len(stroke) == 1 else "")
        ax.set_xlim(-0.5, size - 0.5), ax.set_ylim(size - 0.5, -0.5)
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("column"), ax.set_ylabel("row")
    fig.suptitle(title or "The pen's path lands on the ink when (x, y) becomes (row, column) the right way",
                 fontsize=10)
    return finish(fig)


def plot_alphabet(alphabet: Alphabet, pool: int, title: str = ""):
    """Every drawing of ``alphabet`` (rows: characters), the first ``pool`` of each (support pool) framed in blue."""
    cols = max(alphabet.counts())
    fig, axes = plt.subplots(len(alphabet), cols, figsize=(0.8 * cols + 0.9, 0.82 * len(alphabet)), squeeze=False)
    for r, (name, drawings) in enumerate(zip(alphabet.names, alphabet.drawings)):
        for c in range(cols):
            ax = axes[r, c]
            _bare(ax)
            if c < len(drawings):
                ax.imshow(render_strokes(drawings[c])[0], cmap="gray_r", vmin=0, vmax=1)
                for spine in ax.spines.values():
                    spine.set_color("tab:blue" if c < pool else "0.7")
                    spine.set_linewidth(2 if c < pool else 0.8)
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    for c in range(cols):
        axes[0, c].set_title(f"#{c + 1}", fontsize=7)
    fig.suptitle(title or f"The alphabet: drawings 1-{pool} (blue) can be support, the others are test drawings",
                 fontsize=10)
    return finish(fig)


def plot_answer(answer: Answer, title: str = ""):
    """Support drawings (one column per character, the first of each), the query, and the squared distance from
    the query's embedding to each prototype, the nearest in red."""
    n = len(answer.names)
    fig = plt.figure(figsize=(max(7.0, 1.05 * (n + 1)), 4.2))
    grid = fig.add_gridspec(2, n + 1, height_ratios=[1, 1.5])
    for i, name in enumerate(answer.names):
        ax = fig.add_subplot(grid[0, i])
        first = int((answer.y_support == i).nonzero()[0])
        ax.imshow(answer.support_images[first, 0], cmap="gray_r", vmin=0, vmax=1)
        shots = int((answer.y_support == i).sum())
        ax.set_title(name if shots == 1 else f"{name}\n(1st of {shots})", fontsize=7,
                     color="crimson" if i == answer.choice else "black")
        _bare(ax)
    ax = fig.add_subplot(grid[0, n])
    ax.imshow(answer.query_image[0], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("query", fontsize=8, fontweight="bold")
    _bare(ax)
    bars = fig.add_subplot(grid[1, :])
    colours = ["crimson" if i == answer.choice else "0.6" for i in range(n)]
    bars.bar(range(n), answer.distances.numpy(), color=colours)
    bars.set_xticks(range(n), answer.names, fontsize=7)
    bars.set_ylabel("‖f(query) − prototype‖²")
    for i, d in enumerate(answer.distances.tolist()):
        bars.text(i, d, f"{d:.1f}", ha="center", va="bottom", fontsize=7)
    if not title:
        runner = min((k for k in range(n) if k != answer.choice), key=lambda k: float(answer.distances[k]))
        title = (f"The query lies nearest to the prototype of {answer.chosen} ({float(answer.distances[answer.choice]):.1f}; "
                 f"next: {answer.names[runner]}, {float(answer.distances[runner]):.1f})")
    fig.suptitle(title, fontsize=10)
    return finish(fig)


def feature_balance(answer: Answer, own: int, rival: int) -> tuple[float, float]:
    """How the difference of two squared distances splits over the features: (the sum of (q − c_own)² − (q −
    c_rival)² over the features where the query is nearer to the rival's prototype, the same sum over those where it
    is nearer to its own, as a positive number). Their difference is d_own − d_rival."""
    diff = (answer.query_embedding - answer.prototypes[own]) ** 2 - (answer.query_embedding - answer.prototypes[rival]) ** 2
    return float(diff[diff > 0].sum()), float(-diff[diff < 0].sum())


def plot_embeddings(answer: Answer, own: int, rival: int, title: str = ""):
    """The 64 embedding values of the prototypes of the query's own character ``own`` and of ``rival``, and of the
    query, as heat rows (a bar code each), and the squared differences (query − prototype)² whose sums are the two
    distances, the features sorted from those where the query is nearer to ``rival`` to those nearer to ``own``."""
    q, pa, pb = answer.query_embedding, answer.prototypes[own], answer.prototypes[rival]
    names = answer.names
    rows = torch.stack([pa, q, pb]).numpy()
    diffs = torch.stack([(q - pa) ** 2, (q - pb) ** 2]).numpy()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.0, 3.6), gridspec_kw={"height_ratios": [3, 2]})
    order = np.argsort(-(diffs[0] - diffs[1]), kind="stable")  # features where the query is nearer to the rival first
    image = top.imshow(rows[:, order], aspect="auto", cmap="viridis")
    top.set_yticks(range(3), [f"prototype {names[own]} (its own)", "query", f"prototype {names[rival]}"], fontsize=7)
    top.set_xticks([])
    fig.colorbar(image, ax=top, fraction=0.02, pad=0.01).ax.tick_params(labelsize=6)
    da, db = float(answer.distances[own]), float(answer.distances[rival])
    hot = bottom.imshow(diffs[:, order], aspect="auto", cmap="magma_r")
    bottom.set_yticks(range(2), [f"(q − {names[own]})², sum {da:.1f}", f"(q − {names[rival]})², sum {db:.1f}"],
                      fontsize=7)
    bottom.set_xlabel(f"the 64 embedding features: nearer to {names[rival]}'s prototype (left) ... nearer to its "
                      f"own (right)", fontsize=7)
    fig.colorbar(hot, ax=bottom, fraction=0.02, pad=0.01).ax.tick_params(labelsize=6)
    if not title:
        where = (f"nearer to {names[rival]}'s prototype ({db:.1f}) than to its own ({da:.1f})" if db < da else
                 f"nearer to its own prototype ({da:.1f}) than to {names[rival]}'s ({db:.1f})")
        diff = diffs[0] - diffs[1]  # > 0 where the query is nearer to the rival
        winning = diff[diff > 0].max(initial=0.0) if db < da else -diff[diff < 0].min(initial=0.0)
        single = "no single feature decides" if abs(da - db) > winning else "one feature tips the balance"
        title = f"This {names[own]} lies {where}: {single}"
    fig.suptitle(title, fontsize=10)
    return finish(fig)


def plot_scores(table: Mapping[str, Mapping[str, float]], title: str = ""):
    """Accuracy (%) by setting (groups) and method (bars): ``table[setting][method]`` in [0, 1]."""
    settings = list(table)
    methods = list(next(iter(table.values())))
    fig, ax = plt.subplots(figsize=(7.0, 2.9))
    width = 0.8 / len(methods)
    for m, method in enumerate(methods):
        values = [100 * table[s][method] for s in settings]
        x = np.arange(len(settings)) + (m - (len(methods) - 1) / 2) * width
        ax.bar(x, values, width, label=method)
        for xi, v in zip(x, values):
            ax.text(xi, v, f"{v:.0f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(settings)), settings, fontsize=8)
    ax.set_ylabel("accuracy %"), ax.set_ylim(0, 110)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if not title and len(methods) == 2:
        a, b = methods
        ahead = [table[s][b] > table[s][a] for s in settings]
        title = (f"{b} is ahead of {a} at every setting" if all(ahead) else f"{a} against {b}, setting by setting")
    fig.suptitle(title, fontsize=10)
    return finish(fig)


def plot_variation(rows: Mapping[str, Sequence[Drawing]], title: str = ""):
    """Rows of drawings (name -> drawings), each rendered as the model reads it."""
    cols = max(len(d) for d in rows.values())
    fig, axes = plt.subplots(len(rows), cols, figsize=(0.75 * cols + 1.6, 0.85 * len(rows) + 0.5), squeeze=False)
    for r, (name, drawings) in enumerate(rows.items()):
        for c in range(cols):
            ax = axes[r, c]
            _bare(ax)
            if c < len(drawings):
                ax.imshow(render_strokes(drawings[c])[0], cmap="gray_r", vmin=0, vmax=1)
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=10)
    return finish(fig)


