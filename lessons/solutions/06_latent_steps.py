"""Lesson 06, exercise 2: validation accuracy of the shipped 1-shot LEO against the number of latent steps.

Run: ``python lessons/solutions/06_latent_steps.py`` (about 20 s here).
"""
from __future__ import annotations

from mlkit.evaluate import evaluate
from mlkit.features import load_features
from mlkit.tasks import EpisodeSampler
from mlkit.viz.leo import load_shipped


def accuracy_by_steps(steps=(0, 1, 2, 5, 10, 15), n_tasks: int = 200, seed: int = 0) -> dict[int, float]:
    """{latent steps: mean accuracy on the same ``n_tasks`` validation tasks}, fine-tuning steps kept at 5."""
    meta = load_shipped(1)
    val = load_features(("val",))["val"]
    scores = {}
    for s in steps:
        sampler = EpisodeSampler(val, 5, 1, val.per_class - 1, meta_batch=100, seed=seed)  # same tasks each time
        scores[s] = evaluate(meta, sampler, n_tasks, latent_steps=s).mean
    return scores


if __name__ == "__main__":
    for s, accuracy in accuracy_by_steps().items():
        print(f"{s:2d} latent steps: accuracy {100 * accuracy:.1f} %")
