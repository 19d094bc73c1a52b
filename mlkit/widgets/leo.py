"""The latent-steps / fine-tuning / α / shots explorer of notebook 06: where LEO's latent steps carry the codes.

Rusu et al. (2019) §2.3.2 (the step before eq. 6): z ← z − α ⊙ ∇_z L_support. The sliders set the number of latent
steps, the number of fine-tuning steps that follow them, a factor on the learned per-dimension step sizes α and the
shots (the shipped 1-shot or 5-shot model). A task's mean code never moves (the gradients of a task's codes sum to
zero), so each panel shows one held-out test task's codes *relative to that mean*, in a PCA plane fitted once per
model on the centred codes of 200 other test tasks (the faint cloud: their adapted codes): each class's encoder code
z is a circle, its adapted code z' a triangle in the same colour, joined by an arrow; the intermediate steps are
small dots. Start and end, not the zig-zag of the path: with the learned α the codes overshoot and come back from one
step to the next. Each slider move is one adaptation of a batch of 100 tasks and one projection, well under a second.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from mlkit.checks import check_int, check_positive
from mlkit.meta.leo import LEO
from mlkit.tasks.batch import TaskBatch

SHOWN_TASKS = 3  # panels: the first tasks of the batch


def centred_codes(codes: np.ndarray, n_way: int) -> np.ndarray:
    """Codes [T·N, n_z] ordered task by task, each minus its task's mean code."""
    per_task = codes.reshape(-1, n_way, codes.shape[-1])
    return (per_task - per_task.mean(1, keepdims=True)).reshape(codes.shape)


def fit_projection(codes: dict[str, np.ndarray], n_way: int = 5) -> PCA:
    """A 2-D PCA fitted once on the encoder codes and the adapted codes together, each relative to its task's mean."""
    return PCA(n_components=2).fit(np.concatenate([centred_codes(codes["z"], n_way),
                                                   centred_codes(codes["z_adapted"], n_way)]))


def latent_numbers(meta: LEO, batch: TaskBatch, latent_steps: int = 5, alpha_scale: float = 1.0,
                   finetune_steps: int | None = None) -> dict[str, Any]:
    """Adapt to every task of ``batch`` with ``latent_steps`` steps of size ``alpha_scale`` × learned α, then
    ``finetune_steps`` fine-tuning steps (default: the model's own). Returns the query accuracy over the batch, the
    mean distance the codes moved (in the 64-d latent space), the per-task accuracies and the path of the codes."""
    latent_steps = check_int("latent_steps", latent_steps, 0, 100)
    alpha_scale = check_positive("alpha_scale", alpha_scale)
    finetune_steps = meta.finetune_steps if finetune_steps is None else check_int("finetune_steps", finetune_steps,
                                                                                  0, 100)
    meta.eval()
    alpha = alpha_scale * meta.latent_lr.detach()  # [n_z]
    predictor = meta.adapt(batch.x_support, batch.y_support, latent_steps=latent_steps,
                           finetune_steps=finetune_steps, alpha=alpha)
    per_task = (predictor.predict(batch.x_query) == batch.y_query).float().mean(1)  # [T]
    path = predictor.extras["z_path"]  # [steps + 1, T, N, n_z]
    return {"accuracy": float(per_task.mean()), "per_task": per_task, "moved": float((path[-1] - path[0]).norm(
        dim=-1).mean()), "path": path, "latent_steps": latent_steps, "finetune_steps": finetune_steps,
        "alpha_scale": alpha_scale}


def numbers_text(found: dict[str, Any]) -> str:
    """One line: accuracy and movement of ``latent_numbers``' result."""
    return (f"{found['latent_steps']} latent steps (α × {found['alpha_scale']:g}), {found['finetune_steps']} "
            f"fine-tuning steps: accuracy = {100 * found['accuracy']:.1f} %   (codes moved "
            f"{found['moved']:.2f} on average)")


def plot_paths(found: dict[str, Any], projection: PCA, background: dict[str, np.ndarray] | None = None,
               n_way: int = 5, shown_tasks: int = SHOWN_TASKS):
    """One panel per task (the first ``shown_tasks``): each class's code from z (circle) to z' (triangle, arrow),
    relative to the task's mean code (the cross, which the steps never move), in ``projection``'s plane."""
    path = found["path"][:, :shown_tasks]  # [steps + 1, S, N, n_z]
    steps, shown, n, nz = path.shape
    centred = (path - path.mean(2, keepdim=True)).reshape(-1, nz).numpy()
    flat = projection.transform(centred).reshape(steps, shown, n, 2)
    fig, axes = plt.subplots(1, shown, figsize=(3.6 * shown, 3.5), squeeze=False)
    colours = plt.get_cmap("tab10")
    cloud = projection.transform(centred_codes(background["z_adapted"], n_way)) if background is not None else None
    for t, ax in enumerate(axes[0]):
        if cloud is not None:
            ax.scatter(*cloud.T, s=2, c="0.8", linewidths=0)
        ax.scatter([0], [0], marker="x", c="black", s=40, zorder=4)
        for label in range(n):
            line, colour = flat[:, t, label], colours(label)
            if steps > 2:
                ax.scatter(*line[1:-1].T, s=6, color=colour, alpha=0.5, linewidths=0)
            if steps > 1:
                ax.annotate("", xy=line[-1], xytext=line[0],
                            arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.2, "shrinkA": 4, "shrinkB": 4})
            ax.scatter(*line[0], marker="o", color=colour, s=40, edgecolors="black", linewidths=0.6, zorder=5)
            ax.scatter(*line[-1], marker="^", color=colour, s=60, edgecolors="black", linewidths=0.6, zorder=5)
        accuracy = float(found["per_task"][t])
        ax.set_title(f"test task {t + 1}: accuracy {100 * accuracy:.0f} %", fontsize=9)
        ax.set_xlabel("PC 1 (relative to the task's mean code)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel("PC 2", fontsize=8)
    if found["latent_steps"] == 0:
        takeaway = "No latent steps: each class keeps the encoder's code"
    else:
        takeaway = (f"{found['latent_steps']} latent steps push the class codes (o → ^) apart around their task's "
                    "mean code (x), which never moves")
    fig.suptitle(f"{takeaway}\n(α × {found['alpha_scale']:g}; {found['finetune_steps']} fine-tuning steps follow; "
                 f"accuracy over the batch {100 * found['accuracy']:.1f} %)", fontsize=10)
    fig.tight_layout()
    return fig


def latent_view(meta: LEO, batch: TaskBatch, projection: PCA, latent_steps: int = 5, alpha_scale: float = 1.0,
                background: dict[str, np.ndarray] | None = None, shown_tasks: int = SHOWN_TASKS,
                show: bool = True, finetune_steps: int | None = None) -> dict[str, Any]:
    """``latent_numbers`` printed (one line) and drawn (``plot_paths``); ``show=False``: the figure is made but not
    shown (closed), for tests."""
    found = latent_numbers(meta, batch, latent_steps, alpha_scale, finetune_steps)
    print(numbers_text(found))
    fig = plot_paths(found, projection, background, meta.n_way, shown_tasks)
    if show:
        plt.show()
    else:
        plt.close(fig)
    return {**found, "figure": fig}


def latent_widget(meta: LEO, batch: TaskBatch, projection: PCA, background: dict[str, np.ndarray] | None = None):
    """Sliders "latent steps" (0-15), "fine-tuning steps" (0-10) and "α × learned" (0.1-20) driving ``latent_view``."""
    from ipywidgets import FloatSlider, IntSlider

    from mlkit.widgets import explore

    def redraw(latent_steps: int, finetune_steps: int, alpha_scale: float) -> None:
        latent_view(meta, batch, projection, latent_steps, alpha_scale, background, finetune_steps=finetune_steps)

    return explore(
        redraw,
        latent_steps=IntSlider(value=meta.latent_steps, min=0, max=15, description="latent steps"),
        finetune_steps=IntSlider(value=meta.finetune_steps, min=0, max=10, description="fine-tuning steps"),
        alpha_scale=FloatSlider(value=1.0, min=0.1, max=20.0, step=0.1, description="α × learned"),
    )


@lru_cache(maxsize=None)
def explorer_setting(shots: int = 1, model: str = "strong-kl", seed: int = 0) -> dict[str, Any]:
    """What the explorer shows for one shipped model, computed once: the model, a batch of 100 test tasks (seed
    ``seed``), the codes of 200 other test tasks and the PCA plane fitted on them (relative to each task's mean)."""
    from mlkit.live.leo import tasks
    from mlkit.viz.leo import collect_codes, load_shipped

    meta = load_shipped(shots, model)
    background = collect_codes(meta, tasks("test", shots), 200)
    batch = tasks("test", shots, seed=check_int("seed", seed, 0) + 100).sample()
    return {"meta": meta, "batch": batch, "background": background,
            "projection": fit_projection(background, meta.n_way)}


def show_numbers(shots: int = 1, latent_steps: int = 5, alpha_scale: float = 1.0, finetune_steps: int | None = None,
                 model: str = "strong-kl", seed: int = 0) -> dict[str, Any]:
    """The explorer's numbers for a shipped model on held-out test tasks, printed in one line, no figure (the
    notebook's plain cell beside the explorer)."""
    found = explorer_setting(shots, model, seed)
    result = latent_numbers(found["meta"], found["batch"], latent_steps, alpha_scale, finetune_steps)
    print(numbers_text(result))
    return result


def show_latent(shots: int = 1, latent_steps: int = 5, alpha_scale: float = 1.0, model: str = "strong-kl",
                seed: int = 0, show: bool = True, finetune_steps: int | None = None) -> dict[str, Any]:
    """``latent_view`` of a shipped model on held-out test tasks: prints the accuracy line and draws the paths."""
    found = explorer_setting(shots, model, seed)
    return latent_view(found["meta"], found["batch"], found["projection"], latent_steps, alpha_scale,
                       found["background"], show=show, finetune_steps=finetune_steps)


def latent_explorer(shots: int = 1, alpha_scale: float = 1.0, model: str = "strong-kl", seed: int = 0):
    """Sliders "shots" (1 or 5: the shipped models), "latent steps" (0-15), "fine-tuning steps" (0-10) and
    "α × learned" (0.1-20) driving ``show_latent``; they start at ``shots``, the model's trained numbers of steps and
    ``alpha_scale``."""
    from ipywidgets import FloatSlider, IntSlider, SelectionSlider, fixed

    from mlkit.widgets import explore

    def redraw(shots: int, latent_steps: int, finetune_steps: int, alpha_scale: float, model: str, seed: int) -> None:
        show_latent(shots, latent_steps, alpha_scale, model, seed, finetune_steps=finetune_steps)

    meta = explorer_setting(shots, model, seed)["meta"]
    return explore(
        redraw,
        shots=SelectionSlider(options=[1, 5], value=shots, description="shots"),
        latent_steps=IntSlider(value=meta.latent_steps, min=0, max=15, description="latent steps"),
        finetune_steps=IntSlider(value=meta.finetune_steps, min=0, max=10, description="fine-tuning steps"),
        alpha_scale=FloatSlider(value=check_positive("alpha_scale", alpha_scale), min=0.1, max=20.0, step=0.1,
                                description="α × learned"),
        model=fixed(model), seed=fixed(seed),
    )
