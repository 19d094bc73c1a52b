"""Lesson 07, exercise 2: squared Euclidean or cosine distance for the nearest prototype?

Meta-trains the notebook's Prototypical Network (200 steps, seed 0: half the notebook's budget) and scores its
embedding with both distances on the same 100 held-out episodes, paired.

Run: ``python lessons/solutions/07_distances.py`` (under a minute on two CPU cores).
"""
from __future__ import annotations

import torch

from mlkit.evaluate import confidence_interval
from mlkit.learners import ConvNet
from mlkit.live.metric import prototype_accuracy, train_on_alphabets
from mlkit.meta import ProtoNet


def compare(steps: int = 200, seed: int = 0, episodes: int = 100) -> dict[str, dict[str, str]]:
    torch.manual_seed(seed)
    protonet = ProtoNet(ConvNet(1, 20, hidden=64, image_size=28))
    train_on_alphabets(protonet, steps=steps, seed=seed, progress=False)
    table = {}
    for ways, shots in ((5, 1), (5, 5), (20, 1)):
        euclidean = prototype_accuracy(protonet, ways, shots, episodes, "euclidean")
        cosine = prototype_accuracy(protonet, ways, shots, episodes, "cosine")
        gap = confidence_interval(euclidean.values - cosine.values, "accuracy")
        table[f"{ways}-way {shots}-shot"] = {"euclidean": str(euclidean), "cosine": str(cosine),
                                             "euclidean - cosine": str(gap)}
    return table


if __name__ == "__main__":
    torch.set_num_threads(1)
    for setting, row in compare().items():
        print(f"{setting}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
