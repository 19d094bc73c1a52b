"""Notebook 08's look inside Meta Networks (Munkhdalai & Yu 2017): the fast weights written from loss gradients on
one episode, their sizes, the key/value memory, and what accuracy each kind of fast weight is worth.

The steps of ``MetaNet`` (``mlkit/meta/metanet.py``; Munkhdalai & Yu 2017, §3, as Weng 2018 summarises them):
1. task-level fast weights θ⁺ of the embedding f, written by the LSTM F_w from the gradients of a verification
   loss on pairs of support examples;
2. for each support example i, example-level fast weights ϕ⁺_i of the base learner g's output layer, written by
   G_v from the gradient of i's classification loss: the value memory M[i]; its key R[i] = f_{θ,θ⁺}(x_i);
3. a query attends to the keys (softmax of cosine similarity) and mixes the values into its own ϕ⁺.
``write_memory`` (steps 1-2) and ``read_memory`` (step 3) run these steps with the model's public parts and
return every intermediate tensor; ``fast_weight_ablation`` scores queries with and without each kind of fast
weight, and with hard instead of soft attention, on the same episodes (``ablation_scores`` from a memory already
written); ``own_class_on_top`` says how often a query's largest attention weight is on the support example of its
own class.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

import torch
from torch import Tensor

from mlkit.checkpoint import load_shipped
import torch.nn.functional as F

from mlkit.checks import check_choice, check_int
from mlkit.evaluate import Score, confidence_interval
from mlkit.learners import ConvNet
from mlkit.meta.mann import embed_support
from mlkit.meta.memory import cosine_weights
from mlkit.meta.metanet import MetaNet
from mlkit.tasks.batch import TaskBatch


@lru_cache(maxsize=None)
def shipped_metanet(n_way: int = 5) -> MetaNet:
    """The Meta Networks model that ``python -m mlkit reproduce mann`` trained for N-way one-shot (5 or 20)."""
    return load_shipped(f"metanet-{check_choice('n_way', n_way, (5, 20))}way.pt", MetaNet, "Meta Networks")


def write_memory(meta: MetaNet, batch: TaskBatch, seed: int = 0) -> dict[str, Any]:
    """Steps 1-2 on ``batch`` (T episodes): θ⁺ [T, F, D], the value memory M [T, K, F, N], the support's conv
    features [T, K, F] (for the keys) and the batch-norm statistics of f and g. ``seed`` draws the verification
    pairs, as ``MetaNet.adapt`` does."""
    generator = torch.Generator().manual_seed(check_int("seed", seed, 0))
    x, y = batch.x_support, batch.y_support
    with torch.enable_grad():  # the fast weights are made of gradients
        conv, f_stats = embed_support(meta.embedding, x)  # [T, K, F]
        theta_fast = meta.task_fast_weights(conv, y, generator, create_graph=False).detach()  # [T, F, D]
        features, g_stats = embed_support(cast(ConvNet, meta.learner), x)  # [T, K, F]
        values = meta.example_fast_weights(features, y, create_graph=False).detach()  # M [T, K, F, N]
    return {"theta_fast": theta_fast, "values": values, "conv": conv.detach(), "f_stats": f_stats,
            "g_stats": g_stats}


def read_memory(meta: MetaNet, memory: dict[str, Any], x_query: Tensor, task_fast: bool = True,
                example_fast: bool = True, hard: bool = False) -> dict[str, Tensor]:
    """Step 3 for queries x_query [T, Q, ...]: the key memory R [T, K, D], the attention [T, Q, K], each query's
    ϕ⁺ [T, Q, F, N] and its logits [T, Q, N]. ``task_fast=False`` leaves θ⁺ out of f (slow weights only),
    ``example_fast=False`` leaves ϕ⁺ out of g, ``hard=True`` gives each query the ϕ⁺ of its most attended support
    example alone instead of the softmax mix."""
    learner = cast(ConvNet, meta.learner)  # g
    used = memory["theta_fast"] if task_fast else None
    with torch.no_grad():
        keys = meta.represent(memory["conv"], used)  # R [T, K, D]
        r = meta.represent(meta.embedding.embed(x_query, running=memory["f_stats"]), used)  # [T, Q, D]
        attention = cosine_weights(r, keys)  # [T, Q, K]
        mix = F.one_hot(attention.argmax(-1), attention.shape[-1]).to(attention.dtype) if hard else attention
        phi_fast = torch.einsum("tqk,tkfn->tqfn", mix, memory["values"])  # ϕ⁺ of each query [T, Q, F, N]
        if not example_fast:
            phi_fast = torch.zeros_like(phi_fast)
        logits = meta.classify(learner.embed(x_query, running=memory["g_stats"]), phi_fast)  # [T, Q, N]
    return {"keys": keys, "attention": attention, "phi_fast": phi_fast, "logits": logits}


def episode_parts(meta: MetaNet, batch: TaskBatch, seed: int = 0) -> dict[str, Any]:
    """Steps 1-3 on ``batch``: every tensor of ``write_memory`` and ``read_memory`` (both kinds of fast weights)."""
    memory = write_memory(meta, batch, seed)
    return {**memory, **read_memory(meta, memory, batch.x_query)}


def task_branch_active(parts: dict[str, Any]) -> float:
    """The fraction of the units of f's fast branch, ReLU(e θ⁺), that are not zero on the support images: the
    branch through which θ⁺ acts at all (layer augmentation adds it to the slow branch). ``parts``: what
    ``write_memory`` or ``episode_parts`` returns."""
    pre = torch.einsum("tkf,tfd->tkd", parts["conv"], parts["theta_fast"])  # [T, K, D]
    return float((pre > 0).float().mean())


def sizes(meta: MetaNet, n_support: int) -> dict[str, int]:
    """How many numbers each part holds: slow weights of f, g, F_w, G_v; fast weights per task (θ⁺) and per
    support example (ϕ⁺_i); the key and value memories of an episode of ``n_support`` examples."""
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    features, size = meta.representation.shape
    return {
        "f (embedding, slow)": count(meta.embedding) + meta.representation.numel() + count(meta.verification),
        "g (base learner, slow)": count(meta.learner),
        "F_w (writes theta+)": count(meta.task_writer) + count(meta.task_out),
        "G_v (writes phi+)": count(meta.example_writer),
        "theta+ per task": features * size,
        "phi+ per support example": features * meta.n_way,
        "key memory R": n_support * size,
        "value memory M": n_support * features * meta.n_way,
    }


def own_class_on_top(attention: Tensor, y_support: Tensor, y_query: Tensor) -> Tensor:
    """Per episode, the share of queries whose largest attention weight is on a support example of their own
    class: attention [T, Q, K], labels [T, K] and [T, Q] -> [T]."""
    top = attention.argmax(-1)  # [T, Q] the most attended support example
    return (y_support.gather(1, top) == y_query).float().mean(1)


ABLATIONS: dict[str, dict[str, bool]] = {
    "full": {}, "hard attention": {"hard": True}, "without theta+": {"task_fast": False},
    "without phi+": {"example_fast": False},
}


def ablation_scores(meta: MetaNet, batch: TaskBatch, memory: dict[str, Any]) -> dict[str, Score]:
    """Query accuracy of the episodes of ``batch`` from their ``memory`` (``write_memory``, written once) read four
    ways: with both kinds of fast weights (``"full"``), with hard attention (each query takes the ϕ⁺ of its most
    attended support example), without θ⁺ and without ϕ⁺; and the share of queries whose largest attention weight is
    on their own class (``"own class on top"``): per-episode values, mean and 95% interval."""
    scores = {}
    for name, options in ABLATIONS.items():
        out = read_memory(meta, memory, batch.x_query, **options)
        per_episode = (out["logits"].argmax(-1) == batch.y_query).float().mean(1)  # [T]
        scores[name] = confidence_interval(per_episode.numpy(), "accuracy")
        if name == "full":
            top = own_class_on_top(out["attention"], batch.y_support, batch.y_query)
            scores["own class on top"] = confidence_interval(top.numpy(), "share")
    return scores


def fast_weight_ablation(meta: MetaNet, sampler, n_episodes: int = 200, seed: int = 0) -> dict[str, Score]:
    """``ablation_scores`` on ``n_episodes`` episodes from ``sampler`` (reseeded: the same episodes each call), their
    memory written with the verification pairs drawn from ``seed``."""
    n_episodes = check_int("n_episodes", n_episodes, 2)
    batch = sampler.reseeded().sample(n_episodes)
    return ablation_scores(meta, batch, write_memory(meta, batch, seed))
