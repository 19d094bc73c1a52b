"""Lesson 08, exercise 4: where Meta Networks' queries look, and soft against hard attention.

Run: python lessons/solutions/08_attention.py

On 200 held-out 5-way one-shot episodes (5 queries per character) with the shipped model: how often a query's largest
attention weight is on the support image of its own character, and the accuracy when each query takes the fast
weights phi+ of the softmax mix (as trained, Munkhdalai & Yu 2017, §3) or of its most attended support image only.
"""
from __future__ import annotations

import torch

from mlkit.live.memory import characters
from mlkit.live.metanet import episode_parts, shipped_metanet
from mlkit.tasks.episodes import EpisodeSampler


def attention_study(n_episodes: int = 200, seed: int = 0) -> dict[str, float]:
    meta = shipped_metanet(5)
    batch = EpisodeSampler(characters("test"), 5, 1, 5, n_episodes, seed).sample()
    parts = episode_parts(meta, batch, seed)
    attention = parts["attention"]  # [T, Q, K]
    top = attention.argmax(-1)  # [T, Q] the most attended support image
    own = (batch.y_support.gather(1, top) == batch.y_query).float().mean().item()
    hard = torch.nn.functional.one_hot(top, attention.shape[-1]).float()  # [T, Q, K]
    phi = torch.einsum("tqk,tkfn->tqfn", hard, parts["values"])  # each query's phi+ from one support image
    soft_accuracy = (parts["logits"].argmax(-1) == batch.y_query).float().mean().item()
    with torch.no_grad():
        hard_logits = meta.classify(meta.learner.embed(batch.x_query, running=parts["g_stats"]), phi)
    hard_accuracy = (hard_logits.argmax(-1) == batch.y_query).float().mean().item()
    return {"own class on top": own, "soft attention accuracy": soft_accuracy,
            "hard attention accuracy": hard_accuracy, "mean top weight": attention.max(-1).values.mean().item()}


def main() -> None:
    for name, value in attention_study().items():
        print(f"{name:<24} {100 * value:.1f} %" if "weight" not in name else f"{name:<24} {value:.3f}")


if __name__ == "__main__":
    main()
