"""Lesson 06, exercise 3: k-NN class purity of the encoder codes z and the adapted codes z' for several k, on the raw
codes and on the codes minus their task's mean, with the shuffled-label chance level.

Run: ``python lessons/solutions/06_purity.py`` (under a minute).
"""
from __future__ import annotations

import numpy as np

from mlkit.live.leo import centred, tasks
from mlkit.viz.leo import collect_codes, knn_purity, load_shipped


def purity_by_k(ks=(1, 5, 10, 20), n_tasks: int = 200, model: str = "tuned") -> dict[str, dict[int, float]]:
    """{"z" | "z_adapted" | "z centred" | "z_adapted centred" | "chance": {k: purity}} over ``n_tasks`` test tasks."""
    meta = load_shipped(1, model)
    codes = collect_codes(meta, tasks("test", 1), n_tasks)
    classes, shuffled = codes["classes"], np.random.default_rng(0).permutation(codes["classes"])
    sets = {"z": codes["z"], "z_adapted": codes["z_adapted"], "z centred": centred(codes["z"], meta.n_way),
            "z_adapted centred": centred(codes["z_adapted"], meta.n_way)}
    table = {name: {k: knn_purity(c, classes, k) for k in ks} for name, c in sets.items()}
    table["chance"] = {k: knn_purity(codes["z_adapted"], shuffled, k) for k in ks}
    return table


if __name__ == "__main__":
    for model in ("tuned", "strong-kl"):
        table = purity_by_k(model=model)
        print(f"{model}:")
        for k in table["z"]:
            print(f"  k = {k:2d}: raw z {table['z'][k]:.3f}  z' {table['z_adapted'][k]:.3f}   centred z "
                  f"{table['z centred'][k]:.3f}  z' {table['z_adapted centred'][k]:.3f}   "
                  f"chance {table['chance'][k]:.3f}")
