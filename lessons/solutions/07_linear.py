"""Lesson 07, exercise 1: a Prototypical Network is a linear classifier on its embedding (Snell et al. 2017, §2.4).

-||f(x) - c_k||^2 = 2 c_k . f(x) - ||c_k||^2 - ||f(x)||^2; the last term is the same for every class, so the
softmax of eq. 2 equals the softmax of a linear layer with weights w_k = 2 c_k and bias b_k = -||c_k||^2.

Run: ``python lessons/solutions/07_linear.py`` (a few seconds; an untrained network is enough for an identity).
"""
from __future__ import annotations

import torch

from mlkit.learners import ConvNet
from mlkit.live.metric import sub_episode, view_episode
from mlkit.meta import ProtoNet


def compare(ways: int = 20, shots: int = 5, seed: int = 0) -> dict[str, float]:
    torch.manual_seed(seed)
    protonet = ProtoNet(ConvNet(1, 20, hidden=64, image_size=28)).eval()
    episode = sub_episode(view_episode(seed), ways, shots)
    with torch.no_grad():
        support, query = protonet.embed_episode(episode.x_support, episode.x_query)  # [1, S, 64], [1, Q, 64]
        prototypes = support.view(1, ways, shots, -1).mean(2)  # [1, N, 64], eq. 1
        protonet_logits = protonet.adapt(episode.x_support, episode.y_support).outputs(episode.x_query)  # [1, Q, N]
        weights, bias = 2 * prototypes, -(prototypes ** 2).sum(-1)  # w_k [1, N, 64], b_k [1, N]
        linear_logits = query @ weights.transpose(1, 2) + bias[:, None]  # [1, Q, N]
    shift = protonet_logits - linear_logits  # should be -||f(x)||^2 in every column
    return {"largest spread of the shift across classes": float((shift.max(-1).values - shift.min(-1).values).max()),
            "largest |shift + ||f(x)||^2|": float((shift + (query ** 2).sum(-1, keepdim=True)).abs().max()),
            "typical |logit|": float(protonet_logits.abs().mean()),
            "same softmax": float(torch.allclose(protonet_logits.softmax(-1), linear_logits.softmax(-1), atol=1e-5)),
            "same predictions": float((protonet_logits.argmax(-1) == linear_logits.argmax(-1)).float().mean())}


if __name__ == "__main__":
    for name, value in compare().items():
        print(f"{name}: {value:.3g}")
