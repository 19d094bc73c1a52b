"""Lesson 07, exercise 4: in one-shot episodes a Matching Network and a Prototypical Network that use the same
distance compute the same probabilities (Snell et al. 2017, §2.5); with several shots they do not.

Matching with distance d: p(y = k | x) = sum over the support images i of class k of softmax_i(-d(f(x), f(x_i))).
Prototypical: p(y = k | x) = softmax_k(-d(f(x), c_k)) with c_k the mean of the class's embeddings.

Run: ``python lessons/solutions/07_one_shot.py`` (a few seconds; an untrained network is enough).
"""
from __future__ import annotations

import torch

from mlkit.learners import ConvNet
from mlkit.live.metric import sub_episode, view_episode
from mlkit.meta import ProtoNet
from mlkit.meta.metric import one_hot


def largest_gap(shots: int, ways: int = 5, seed: int = 0) -> float:
    """The largest difference between the two methods' class probabilities over the episode's queries."""
    torch.manual_seed(seed)
    protonet = ProtoNet(ConvNet(1, 20, hidden=64, image_size=28)).eval()
    episode = sub_episode(view_episode(seed), ways, shots)
    with torch.no_grad():
        support, query = protonet.embed_episode(episode.x_support, episode.x_query)  # [1, S, F], [1, Q, F]
        d = ((query[:, :, None] - support[:, None]) ** 2).sum(-1)  # [1, Q, S] squared distances to every image
        matching = torch.bmm((-d).softmax(-1), one_hot(episode.y_support, ways))  # [1, Q, N], eq. 1 of Vinyals
        proto = protonet.adapt(episode.x_support, episode.y_support).outputs(episode.x_query).softmax(-1)  # [1, Q, N]
    return float((matching - proto).abs().max())


if __name__ == "__main__":
    for shots in (1, 2, 5, 10):
        print(f"{shots:2d} shots: largest difference of the class probabilities {largest_gap(shots):.2e}")
