"""The latent-steps / α / shots explorer of notebook 06: watch LEO's codes move as the latent inner loop runs.

Rusu et al. (2019) §2.3.2 (the step before eq. 6): z ← z − α ⊙ ∇_z L_support. The sliders set the number of latent
steps, a factor on the learned per-dimension step sizes α and the shots (the shipped 1-shot or 5-shot model); the
plot shows the path of every class code of a few held-out test tasks from the encoder's z (circle) to z' (triangle),
over the cloud of 200 tasks' codes. t-SNE cannot place new points without being refitted, so the plane here is a PCA
projection fitted once per model on z and z' of those 200 tasks: each slider move is one adaptation of a batch of
tasks and one projection, well under a second.
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


def fit_projection(codes: dict[str, np.ndarray]) -> PCA:
    """A 2-D PCA fitted once on the encoder codes and the adapted codes together."""
    return PCA(n_components=2).fit(np.concatenate([codes["z"], codes["z_adapted"]]))


def latent_view(meta: LEO, batch: TaskBatch, projection: PCA, latent_steps: int = 5, alpha_scale: float = 1.0,
                background: dict[str, np.ndarray] | None = None, shown_tasks: int = 3,
                show: bool = True) -> dict[str, Any]:
    """Adapt to every task of ``batch`` with ``latent_steps`` steps of size ``alpha_scale`` × learned α.

    Prints and returns the query accuracy over the batch and the mean distance the codes moved (in the
    original latent space); draws the paths of the first ``shown_tasks`` tasks in the projection plane.
    """
    latent_steps = check_int("latent_steps", latent_steps, 0, 100)
    alpha_scale = check_positive("alpha_scale", alpha_scale)
    meta.eval()
    alpha = alpha_scale * meta.latent_lr.detach()  # [n_z]
    predictor = meta.adapt(batch.x_support, batch.y_support, latent_steps=latent_steps, alpha=alpha)
    accuracy = float((predictor.predict(batch.x_query) == batch.y_query).float().mean())
    path = predictor.extras["z_path"]  # [steps + 1, T, N, n_z]
    moved = float((path[-1] - path[0]).norm(dim=-1).mean())
    print(f"accuracy = {100 * accuracy:.1f} %   (codes moved {moved:.2f} on average)")
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    if background is not None:
        for key, colour in (("z", "tab:blue"), ("z_adapted", "tab:orange")):
            ax.scatter(*projection.transform(background[key]).T, s=3, c=colour, alpha=0.12, linewidths=0)
    shown = path[:, :shown_tasks]  # [steps + 1, S, N, n_z]
    steps, s, n, nz = shown.shape
    flat = projection.transform(shown.reshape(-1, nz).numpy()).reshape(steps, s, n, 2)
    colours = plt.get_cmap("tab10")
    for t in range(s):
        for label in range(n):
            line = flat[:, t, label]  # [steps + 1, 2]
            ax.plot(*line.T, "-", c=colours(label), lw=1)
            ax.scatter(*line[0], marker="o", c=[colours(label)], s=22)
            ax.scatter(*line[-1], marker="^", c=[colours(label)], s=36)
    ax.set_title(f"{latent_steps} latent steps, α × {alpha_scale:g}: z (o) → z' (^)")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    fig.tight_layout()
    if show:
        plt.show()
    return {"accuracy": accuracy, "moved": moved, "figure": fig}


def latent_widget(meta: LEO, batch: TaskBatch, projection: PCA, background: dict[str, np.ndarray] | None = None):
    """Sliders "latent steps" (0-15) and "α × learned" (0.1-20) driving ``latent_view``."""
    from ipywidgets import FloatSlider, IntSlider

    from mlkit.widgets import explore

    def redraw(latent_steps: int, alpha_scale: float) -> None:
        latent_view(meta, batch, projection, latent_steps, alpha_scale, background)

    return explore(
        redraw,
        latent_steps=IntSlider(value=meta.latent_steps, min=0, max=15, description="latent steps"),
        alpha_scale=FloatSlider(value=1.0, min=0.1, max=20.0, step=0.1, description="α × learned"),
    )



@lru_cache(maxsize=None)
def explorer_setting(shots: int = 1, model: str = "strong-kl", seed: int = 0) -> dict[str, Any]:
    """What the explorer shows for one shipped model, computed once: the model, a batch of 100 test tasks (seed
    ``seed``), the codes of 200 other test tasks and the PCA plane fitted on them."""
    from mlkit.live.leo import tasks
    from mlkit.viz.leo import collect_codes, load_shipped

    meta = load_shipped(shots, model)
    background = collect_codes(meta, tasks("test", shots), 200)
    batch = tasks("test", shots, seed=check_int("seed", seed, 0) + 100).sample()
    return {"meta": meta, "batch": batch, "background": background, "projection": fit_projection(background)}


def show_latent(shots: int = 1, latent_steps: int = 5, alpha_scale: float = 1.0, model: str = "strong-kl",
                seed: int = 0, show: bool = True) -> dict[str, Any]:
    """``latent_view`` of a shipped model on held-out test tasks: prints ``accuracy = ...`` and draws the paths."""
    found = explorer_setting(shots, model, seed)
    return latent_view(found["meta"], found["batch"], found["projection"], latent_steps, alpha_scale,
                       found["background"], show=show)


def latent_explorer(shots: int = 1, alpha_scale: float = 1.0, model: str = "strong-kl", seed: int = 0):
    """Sliders "shots" (1 or 5: the shipped models), "latent steps" (0-15) and "α × learned" (0.1-20) driving
    ``show_latent``; they start at ``shots``, the model's trained number of steps and ``alpha_scale``."""
    from ipywidgets import FloatSlider, IntSlider, SelectionSlider, fixed

    from mlkit.widgets import explore

    def redraw(shots: int, latent_steps: int, alpha_scale: float, model: str, seed: int) -> None:
        show_latent(shots, latent_steps, alpha_scale, model, seed)

    steps = explorer_setting(shots, model, seed)["meta"].latent_steps
    return explore(
        redraw,
        shots=SelectionSlider(options=[1, 5], value=shots, description="shots"),
        latent_steps=IntSlider(value=steps, min=0, max=15, description="latent steps"),
        alpha_scale=FloatSlider(value=check_positive("alpha_scale", alpha_scale), min=0.1, max=20.0, step=0.1,
                                description="α × learned"),
        model=fixed(model), seed=fixed(seed),
    )
