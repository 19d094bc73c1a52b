"""Figure 2 of Rusu et al. (2019), §4.2: a joint t-SNE of LEO's latent codes before and after adaptation.

For many validation tasks, LEO's encoder gives one code z_n per class and the latent inner loop moves it to z'_n
(§2.3.2; eq. 6 then decodes z'_n). Both sets are embedded together by one t-SNE (scikit-learn) and shown
(a) coloured before/after, (b) coloured by class, (c)/(d) with two classes highlighted. The authors' public code
ships no plotting code: this is our own. t-SNE distorts distances, so the figure comes with a number
measured in the original latent space: the k-nearest-neighbour class purity, the fraction of each code's k nearest codes
(Euclidean, itself excluded) that belong to the same dataset class. The paper's reading of Figure 2 is that
adapted codes z' are more class-separated than the encoder's codes z: purity(z') > purity(z).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from mlkit.checkpoint import load_meta_learner
from mlkit.checks import check_choice, check_int
from mlkit.meta.leo import LEO
from mlkit.tasks.sampler import Sampler

BEFORE, AFTER = "tab:blue", "tab:orange"  # the paper's colours for z and z'
CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"


SHIPPED = {"tuned": "leo", "strong-kl": "leo-strong-kl"}  # the two LEO models ``reproduce leo`` ships


def load_shipped(k_shot: int = 1, model: str = "tuned") -> LEO:
    """A shipped 5-way ``k_shot`` LEO model made by ``python -m mlkit reproduce leo``, in evaluation mode:
    ``"tuned"`` (the authors' tuned regularisers) or ``"strong-kl"`` (KL weight β = 5, the Figure 2 model)."""
    check_choice("k_shot", k_shot, (1, 5))
    check_choice("model", model, tuple(SHIPPED))
    return load_meta_learner(CHECKPOINTS / f"{SHIPPED[model]}-{k_shot}shot.pt").eval()


def dimensions(meta: LEO) -> dict[str, int]:
    """Sizes of the spaces involved: θ = the N·D classifier weights LEO generates, z = the N·n_z codes its
    latent loop adapts, and the meta-parameters (encoder, relation network, decoder, step sizes)."""
    return {"theta": meta.n_way * meta.feature_dim, "z": meta.n_way * meta.latent_dim,
            "meta_parameters": sum(p.numel() for p in meta.parameters() if p.requires_grad)}


def collect_codes(meta: LEO, sampler: Sampler, n_tasks: int = 200, chunk: int = 100) -> dict[str, np.ndarray]:
    """Codes of ``n_tasks`` tasks: ``z`` and ``z_adapted`` [n_tasks·N, n_z], ``classes`` (dataset class ids)
    and ``tasks`` (task index) [n_tasks·N]. The tasks come from ``sampler.reseeded()``: the same on every call."""
    check_int("n_tasks", n_tasks, 1)
    sampler = sampler.reseeded()
    was_training = meta.training
    meta.eval()
    out: dict[str, list] = {"z": [], "z_adapted": [], "classes": [], "tasks": []}
    done = 0
    try:
        while done < n_tasks:
            batch = sampler.sample(min(chunk, n_tasks - done))
            extras = meta.adapt(batch.x_support, batch.y_support).extras
            t, n = batch.info["classes"].shape
            out["z"].append(extras["z"].reshape(t * n, -1))
            out["z_adapted"].append(extras["z_adapted"].reshape(t * n, -1))
            out["classes"].append(batch.info["classes"].reshape(-1))
            out["tasks"].append((torch.arange(t) + done).repeat_interleave(n))
            done += t
    finally:
        meta.train(was_training)
    return {k: torch.cat(v).numpy() for k, v in out.items()}


def neighbour_agreement(codes: np.ndarray, labels: np.ndarray, k: int = 5) -> np.ndarray:
    """For every code [M, n_z], the fraction of its ``k`` nearest other codes (Euclidean) that share its label: [M]."""
    check_int("k", k, 1, len(codes) - 1)
    x = torch.as_tensor(codes, dtype=torch.float64)
    distances = torch.cdist(x, x)
    distances.fill_diagonal_(float("inf"))
    neighbours = distances.topk(k, largest=False).indices.numpy()  # [M, k]
    return (labels[neighbours] == labels[:, None]).mean(1)


def knn_purity(codes: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Mean fraction of each code's ``k`` nearest other codes (Euclidean) that share its label."""
    return float(neighbour_agreement(codes, labels, k).mean())


def purity_table(codes: dict[str, np.ndarray], ks: Sequence[int] = (1, 5, 10)) -> dict[str, dict[int, float]]:
    """k-NN class purity of z and of z' for several k, with the chance level (labels shuffled)."""
    shuffled = np.random.default_rng(0).permutation(codes["classes"])
    return {
        "z": {k: knn_purity(codes["z"], codes["classes"], k) for k in ks},
        "z_adapted": {k: knn_purity(codes["z_adapted"], codes["classes"], k) for k in ks},
        "chance": {k: knn_purity(codes["z_adapted"], shuffled, k) for k in ks},
    }


def joint_tsne(codes: dict[str, np.ndarray], perplexity: float = 30.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One t-SNE of z and z' together; returns their 2-D positions, each [M, 2]."""
    from sklearn.manifold import TSNE

    both = np.concatenate([codes["z"], codes["z_adapted"]])  # [2M, n_z]
    xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(both)
    m = len(codes["z"])
    return xy[:m], xy[m:]


def pick_classes(classes: np.ndarray, count: int = 2, seed: int = 0) -> list[int]:
    """``count`` distinct classes among the most frequent ones, chosen with ``seed`` (the paper picks two at random)."""
    values, counts = np.unique(classes, return_counts=True)
    frequent = values[counts >= np.sort(counts)[-min(len(counts), 10)]]
    return sorted(np.random.default_rng(seed).choice(frequent, count, replace=False).tolist())


def plot_figure2(codes: dict[str, np.ndarray], before: np.ndarray, after: np.ndarray,
                 highlight: Sequence[int], class_names: Sequence[str] | None = None, title: str = "") -> Figure:
    """Four panels over the same joint t-SNE: (a) z vs z', (b) by class, (c) and (d) one class highlighted;
    ``title``: the figure's takeaway, above the panels."""
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2))
    if title:
        fig.suptitle(title, fontsize=11)
    dots = {"s": 4, "linewidths": 0}
    axes[0].scatter(*before.T, c=BEFORE, label="encoder z", **dots)
    axes[0].scatter(*after.T, c=AFTER, label="adapted z'", **dots)
    axes[0].legend(loc="lower right", markerscale=3, fontsize=8)
    colour = codes["classes"] % 20
    axes[1].scatter(*before.T, c=colour, cmap="tab20", vmin=0, vmax=19, **dots)
    axes[1].scatter(*after.T, c=colour, cmap="tab20", vmin=0, vmax=19, **dots)
    for ax, cls in zip(axes[2:], highlight):
        chosen = codes["classes"] == cls
        for xy in (before, after):
            ax.scatter(*xy[~chosen].T, c="0.85", **dots)
        ax.scatter(*before[chosen].T, c=BEFORE, s=18, marker="o", label="z")
        ax.scatter(*after[chosen].T, c=AFTER, s=24, marker="^", label="z'")
        name = class_names[cls] if class_names is not None else f"class {cls}"
        ax.set_title(f"({'cd'[list(highlight).index(cls)]}) {name}")
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_title("(a) before (blue) / after (orange)")
    axes[1].set_title("(b) coloured by class")
    for ax in axes:  # t-SNE axes have no units: only the neighbourhoods mean something
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("t-SNE 1")
    axes[0].set_ylabel("t-SNE 2")
    fig.tight_layout()
    return fig


def figure2(meta: LEO, sampler, n_tasks: int = 200, seed: int = 0,
            class_names: Sequence[str] | None = None, title: str = "") -> dict[str, Any]:
    """Collect codes, embed them, plot; returns the figure, the codes, the 2-D positions and the purity table."""
    codes = collect_codes(meta, sampler, n_tasks)
    before, after = joint_tsne(codes, seed=seed)
    highlight = pick_classes(codes["classes"], 2, seed)
    fig = plot_figure2(codes, before, after, highlight, class_names, title)
    return {"figure": fig, "codes": codes, "before": before, "after": after, "highlight": highlight,
            "purity": purity_table(codes)}


def _mean_ci(value: Any) -> tuple[float, float]:
    """(mean, ci95) of a ``Score`` or of its JSON form."""
    return (value["mean"], value["ci95"]) if isinstance(value, dict) else (value.mean, value.ci95)


def plot_latent_steps(tables: dict[str, dict[str, Any]], title: str):
    """Accuracy (%) against the number of latent steps, one colour per model: without fine-tuning (dashed) and with
    the model's fine-tuning steps (solid), each with its 95% interval (shaded). ``tables``: {label:
    ``mlkit.live.leo.latent_steps_table(...)``} or the same numbers from the reproduction's JSON."""
    from mlkit.viz.tasks import finish, outside_legend

    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    colours = plt.get_cmap("tab10")
    for i, (label, table) in enumerate(tables.items()):
        steps = np.asarray(table["steps"])
        for finetune in table["finetune_steps"]:
            points = [_mean_ci(table["accuracy"][str(finetune)][str(s)]) for s in table["steps"]]
            mean, ci = (100 * np.asarray(v) for v in zip(*points))
            style = "--" if finetune == 0 else "-"
            ax.plot(steps, mean, style, marker="o", ms=4, color=colours(i),
                    label=f"{label}, {'no' if finetune == 0 else finetune} fine-tuning steps")
            ax.fill_between(steps, mean - ci, mean + ci, color=colours(i), alpha=0.12, linewidth=0)
    ax.set_xticks(steps)
    ax.set_xlabel("latent steps")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=10)
    outside_legend(ax)
    return finish(fig)
