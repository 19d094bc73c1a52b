"""Pictures of notebook 07: what metric-based meta-learners do with one episode.

- ``plot_training``: the loss and validation curves of the live runs;
- ``plot_prototype_view``: support images, queries and prototypes of a Prototypical Network (Snell, Swersky & Zemel
  2017, eqs. 1-2) in a 2-D PCA plane, over the decision regions of the nearest-prototype rule;
- ``plot_attention``: Matching Networks' attention over the support set (Vinyals et al. 2016, eq. 2) as heat maps;
- ``plot_relation``: Relation Network scores (Sung et al. 2018, eq. 1) against the squared distance to the class mean;
- ``plot_siamese``: a Siamese network's pair probabilities (Koch et al. 2015, section 3.1), same against different
  pairs, and one query's probabilities over the support set.

Why PCA and not t-SNE for the decision regions: a region is the set of points the classifier sends to one class,
so drawing it needs a map between the picture and the embedding space for every pixel. PCA is linear: each pixel of
its plane is a point of the embedding space (``inverse_transform``), which the classifier scores exactly. t-SNE
places only the points it was fitted on (no map for new points) and keeps neighbourhoods, not distances, so a
region drawn in a t-SNE picture would mean nothing.

Every function returns a closed figure (``mlkit.viz.tasks.finish``): end a notebook cell with the call to show it.
"""
from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from sklearn.decomposition import PCA
from torch import Tensor

from mlkit.live.metric import PrototypeView, RelationPairs, SiamesePairs, distance_matrix
from mlkit.train import History
from mlkit.viz.tasks import finish

GRID = 160  # pixels per side of the decision-region image


def plot_training(histories: Mapping[str, History], title: str = "live meta-training on the training alphabets",
                  floors: Mapping[str, float] | None = None):
    """Meta-loss (left) and validation accuracy on 20-way 1-shot Early_Aramaic episodes (right) of live runs;
    ``floors``: lowest losses some method can reach, drawn as dashed lines."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.1))
    for name, history in histories.items():
        left.plot(history.steps, history.train_loss, label=name)
        right.plot(history.val_steps, [100 * v for v in history.val_metric], marker="o", label=name)
    for name, value in (floors or {}).items():
        left.axhline(value, ls="--", lw=1, color="0.3", label=name)
    left.set_xlabel("meta-iteration (one 20-way 1-shot episode)"), left.set_ylabel("meta-loss")
    left.set_title("training loss (each method its own loss)", fontsize=9)
    right.set_xlabel("meta-iteration"), right.set_ylabel("accuracy %")
    right.set_title("validation: 20-way 1-shot, Early_Aramaic", fontsize=9)
    for ax in (left, right):
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return finish(fig)


def class_colours(n_way: int) -> list:
    """One colour per class (up to 20 distinct ones)."""
    cmap = plt.get_cmap("tab10" if n_way <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n_way)]


def plane(view: PrototypeView) -> PCA:
    """The 2-D PCA plane of an episode: fitted on its support, query and prototype embeddings together."""
    return PCA(n_components=2).fit(torch.cat([view.support, view.query, view.prototypes]).double().numpy())


def region_map(view: PrototypeView, pca: PCA, low: np.ndarray, high: np.ndarray, size: int = GRID) -> np.ndarray:
    """The class [size, size] the nearest-prototype rule gives each point of the plane between ``low`` and ``high``
    (2-D corners): every pixel is mapped back into the embedding space and compared with the prototypes there."""
    xs, ys = np.linspace(low[0], high[0], size), np.linspace(low[1], high[1], size)
    pixels = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)  # [size*size, 2], row-major from the bottom
    points = torch.as_tensor(pca.inverse_transform(pixels), dtype=view.prototypes.dtype)  # [size*size, F]
    return distance_matrix(points, view.prototypes, view.distance).argmin(1).view(size, size).numpy()


def plot_prototype_view(view: PrototypeView, title: str = "") -> tuple:
    """The episode in its PCA plane over the decision regions; returns (figure, in-plane agreement).

    The regions are exact for the points *of the plane*; an embedded image lies off the plane, so its projection
    may fall in another region than the class it is given in the full space. The in-plane agreement is the fraction
    of queries whose projection lies in the region of the class the full-space rule predicts for them.
    """
    pca = plane(view)
    support, query, prototypes = (pca.transform(x.double().numpy()) for x in (view.support, view.query,
                                                                             view.prototypes))  # [*, 2] each
    every = np.concatenate([support, query, prototypes])
    pad = 0.08 * (every.max(0) - every.min(0))
    low, high = every.min(0) - pad, every.max(0) + pad
    regions = region_map(view, pca, low, high)  # [GRID, GRID]
    colours = class_colours(view.n_way)
    fig, ax = plt.subplots(figsize=(6.2, 5.0))
    ax.imshow(regions, origin="lower", extent=(low[0], high[0], low[1], high[1]), aspect="auto",
              cmap=ListedColormap(colours[: view.n_way]), vmin=-0.5, vmax=view.n_way - 0.5, alpha=0.28,
              interpolation="nearest")
    y_support, y_query = view.y_support.numpy(), view.y_query.numpy()
    wrong = (view.predictions != view.y_query).numpy()
    ax.scatter(query[:, 0], query[:, 1], c=[colours[y] for y in y_query], marker="X", s=30, edgecolors="white",
               linewidths=0.4)
    ax.scatter(query[wrong, 0], query[wrong, 1], facecolors="none", edgecolors="black", marker="o", s=90,
               linewidths=0.9)
    ax.scatter(prototypes[:, 0], prototypes[:, 1], c=colours[: view.n_way], marker="*", s=320, edgecolors="black",
               linewidths=1.0)
    ax.scatter(support[:, 0], support[:, 1], c=[colours[y] for y in y_support], marker="o", s=20,
               edgecolors="black", linewidths=0.6)
    handles = [Line2D([], [], ls="", marker="o", color="0.6", markeredgecolor="black", label="support image"),
               Line2D([], [], ls="", marker="X", color="0.6", label="query (colour: its class)"),
               Line2D([], [], ls="", marker="o", markerfacecolor="none", markeredgecolor="black", markersize=10,
                      label="query given a wrong class"),
               Line2D([], [], ls="", marker="*", color="0.6", markeredgecolor="black", markersize=14,
                      label="prototype (class mean)")]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9)
    share = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC 1 ({100 * share[0]:.0f} % of the variance)")
    ax.set_ylabel(f"PC 2 ({100 * share[1]:.0f} % of the variance)")
    shots = len(view.y_support) // view.n_way
    ax.set_title(title or f"The nearest prototype labels {100 * view.accuracy:.0f} % of the queries right ({view.n_way}"
                          f"-way {shots}-shot, {view.distance}; chance {100 / view.n_way:.0f} %)\nregions: the class "
                          "of the nearest prototype at each point of the plane; circled: queries labelled wrong",
                 fontsize=9)
    cell = np.clip(((query - low) / (high - low) * GRID).astype(int), 0, GRID - 1)  # [Q, 2] pixel (x, y)
    in_plane = regions[cell[:, 1], cell[:, 0]]  # [Q] region under each projected query
    agreement = float((in_plane == view.predictions.numpy()).mean())
    return finish(fig), agreement


def plot_attention(attentions: Mapping[str, Tensor], y_support: Tensor, y_query: Tensor,
                   masses: Mapping[str, float] | None = None, title: str = ""):
    """Heat maps of attention [Q, S] (rows: queries, columns: support images, both grouped by class), one panel per
    entry of ``attentions``; lines mark the class blocks, whose diagonal holds each query's own class. ``title``:
    the figure's (its takeaway)."""
    fig, axes = plt.subplots(1, len(attentions), figsize=(4.4 * len(attentions), 4.0), squeeze=False)
    top = max(float(a.max()) for a in attentions.values())
    s_edges = np.flatnonzero(np.diff(y_support.numpy())) + 0.5
    q_edges = np.flatnonzero(np.diff(y_query.numpy())) + 0.5
    for ax, (name, attention) in zip(axes[0], attentions.items()):
        image = ax.imshow(attention.numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=top, interpolation="nearest")
        for edge in s_edges:
            ax.axvline(edge, color="white", lw=0.6)
        for edge in q_edges:
            ax.axhline(edge, color="white", lw=0.6)
        extra = f"\nmean attention on the own class {masses[name]:.2f}" if masses and name in masses else ""
        ax.set_title(name + extra, fontsize=9)
        ax.set_xlabel("support image (grouped by class)")
        ax.set_ylabel("query (grouped by class)")
        fig.colorbar(image, ax=ax, label="attention a(query, support image)")
    if title:
        fig.suptitle(title, fontsize=10)
    return finish(fig)


def plot_relation(result: RelationPairs, title: str = ""):
    """Relation score against squared distance to the class mean, for every (query, class) pair of an episode."""
    scores, distances, match = (x.flatten().numpy() for x in (result.scores, result.distances, result.match))
    fig, ax = plt.subplots(figsize=(5.8, 3.8))
    ax.scatter(distances[~match], scores[~match], s=6, c="0.6", alpha=0.5, label="query and another class")
    ax.scatter(distances[match], scores[match], s=14, c="tab:red", label="query and its own class")
    ax.set_xlabel("squared distance to the class mean (ProtoNet's fixed metric)")
    ax.set_ylabel("relation score r (learned)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(title or f"rank correlation of r with minus the distance: {result.rank_correlation:.2f}",
                 fontsize=9)
    ax.legend(fontsize=8)
    return finish(fig)


def plot_siamese(result: SiamesePairs, query: int = 0, title: str = ""):
    """Left: the pair probabilities p of same-class and different-class pairs. Right: one query's p for every
    support image (its own class's in red); its predicted class is the one of the tallest bar. ``title``: the
    figure's (its takeaway)."""
    p, same = result.p, result.same
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.3))
    bins = np.linspace(0, 1, 26)
    left.hist(p[~same].numpy(), bins, color="0.55", alpha=0.8, label="different characters")
    left.hist(p[same].numpy(), bins, color="tab:red", alpha=0.7, label="same character")
    left.set_yscale("log")
    left.set_xlabel("p(same character) of a (query, support image) pair")
    left.set_ylabel("pairs")
    left.set_title("verification: every pair of the episode", fontsize=9)
    left.legend(fontsize=8)
    row = p[query].numpy()
    own = same[query].numpy()
    right.bar(np.arange(len(row)), row, color=np.where(own, "tab:red", "0.55"))
    right.xaxis.get_major_locator().set_params(integer=True)
    right.set_xlabel("support image (grouped by class)")
    right.set_ylabel("p(same character)")
    right.set_ylim(0, 1)
    picked = int(row.argmax())
    right.set_title(f"query {query}: largest p at support image {picked} "
                    f"({'right' if own[picked] else 'wrong'} class)", fontsize=9)
    right.legend(handles=[Line2D([], [], ls="", marker="s", color="tab:red", label="its own class"),
                          Line2D([], [], ls="", marker="s", color="0.55", label="other classes")], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return finish(fig)
