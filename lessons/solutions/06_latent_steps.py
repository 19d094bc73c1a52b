"""Lesson 06, exercise 2: accuracy of the shipped 1-shot LEO models on held-out test tasks against the number of latent
steps, with and without the fine-tuning steps that follow them.

Run: ``python lessons/solutions/06_latent_steps.py`` (under a minute; the first run also embeds the images).
"""
from __future__ import annotations

from mlkit.evaluate import evaluate
from mlkit.live.leo import tasks
from mlkit.viz.leo import load_shipped


def accuracy_by_steps(steps=(0, 1, 2, 5, 10, 15), n_tasks: int = 200, model: str = "tuned",
                      finetune_steps: int = 5) -> dict[int, float]:
    """{latent steps: mean accuracy on the same ``n_tasks`` test tasks}, with ``finetune_steps`` fine-tuning steps
    (the models were trained with 5 of each)."""
    meta = load_shipped(1, model)
    test = tasks("test", 1)
    return {s: evaluate(meta, test.reseeded(), n_tasks, latent_steps=s, finetune_steps=finetune_steps).mean
            for s in steps}


if __name__ == "__main__":
    for model in ("tuned", "strong-kl"):
        for finetune in (0, 5):
            scores = accuracy_by_steps(model=model, finetune_steps=finetune)
            print(f"{model:9s}, {finetune} fine-tuning steps: "
                  + "  ".join(f"{s} latent: {100 * a:.1f} %" for s, a in scores.items()))
