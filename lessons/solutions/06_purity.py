"""Lesson 06, exercise 3: k-NN class purity of the encoder codes z and the adapted codes z' for several k.

Run: ``python lessons/solutions/06_purity.py`` (about 15 s here).
"""
from __future__ import annotations

from mlkit.features import load_features
from mlkit.tasks import EpisodeSampler
from mlkit.viz.leo import collect_codes, load_shipped, purity_table


def purity_by_k(ks=(1, 5, 10, 20), n_tasks: int = 200, seed: int = 0) -> dict[str, dict[int, float]]:
    """{"z" | "z_adapted" | "chance": {k: purity}} over the codes of ``n_tasks`` validation tasks."""
    meta = load_shipped(1)
    val = load_features(("val",))["val"]
    sampler = EpisodeSampler(val, 5, 1, val.per_class - 1, meta_batch=100, seed=seed)
    return purity_table(collect_codes(meta, sampler, n_tasks), ks)


if __name__ == "__main__":
    table = purity_by_k()
    for k in table["z"]:
        print(f"k = {k:2d}: z {table['z'][k]:.3f}   z' {table['z_adapted'][k]:.3f}   chance {table['chance'][k]:.3f}")
