"""``python -m mlkit bench fewshot [--json]``: meta-training episodes per second of every classification method,
all tasks of a meta-batch at once against the same method one task at a time.

Setting: Omniglot 28×28 (the shipped subsets), 5-way 1-shot episodes with 5 queries per class, meta-batch 4 and 8;
the 4-block 64-filter ConvNet of Finn et al. (2017) (the LSTM meta-learner: 16 filters with max-pooling, as in
``reproduce lstm-omniglot``; LEO: 64-d feature vectors). For each method and meta-batch T, from the same initial
weights and the same T episodes:

- "batched": one ``meta_loss`` over the T episodes (mlkit's way: grouped convolutions, batched matrix products),
  then ``backward``;
- "one at a time": T calls of ``meta_loss`` on one episode each, their mean, then ``backward`` (what a Python loop
  over tasks does, as most meta-learning libraries do).

Both give the same meta-gradient when a method's loss is a mean over independent episodes; the largest difference
is printed (methods that draw random numbers inside ``meta_loss``, e.g. MANN's support order, differ by design).
Each implementation runs for ``seconds`` per round, rounds interleave the two, and the best round counts (the
machine is shared: the least disturbed round is the most faithful). Ratios are batched / one at a time.

What batching can gain at all is measured in the same run ("one call"): the ConvNet's forward and backward on the
images of all T episodes in a single call with shared weights (no loop over episodes, no per-task weights, the
least overhead any batched implementation can have) against T calls on one episode each. Where this ratio is near
1, one episode's arithmetic already keeps the processor busy and batching over tasks has nothing left to save.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import torch
import torch.nn.functional as F

from mlkit.learners import MLP, ConvNet
from mlkit.meta import METHODS, MetaLearner
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tasks.features import FeatureDataset

N_WAY, K_SHOT, QUERIES = 5, 1, 5
META_BATCHES = (4, 8)
GRADIENT_BASED = ("maml", "fomaml", "metasgd", "tnet", "mtnet", "mnet", "mtnet-full", "mnet-full", "reptile",
                  "lstm-meta")
TARGET = 2.0  # batched / one at a time, gradient-based methods at meta-batch >= 4


def build(method: str) -> MetaLearner:
    """``method`` for 5-way 28×28 episodes (LEO: 64-d features), seeded."""
    torch.manual_seed(0)
    cls = METHODS[method]
    if method == "leo":
        return cls(MLP((64, N_WAY)), "classification", k_shot=K_SHOT)
    if method == "lstm-meta":
        return cls(ConvNet(1, N_WAY, hidden=16, image_size=28, downsample="maxpool"), "classification")
    classes = 680 if getattr(cls, "joint_classifier", False) else N_WAY  # fine-tune's head covers training classes
    transform = bool(getattr(cls, "uses_transform", False))
    return cls(ConvNet(1, classes, hidden=64, image_size=28, transform=transform), "classification")


def episodes(method: str, meta_batch: int) -> TaskBatch:
    from mlkit.tasks.omniglot import Omniglot

    if method == "leo":
        vectors = F.normalize(torch.randn(40, 20, 64, generator=torch.Generator().manual_seed(0)), dim=-1)
        data = FeatureDataset(vectors, [f"c{i}" for i in range(40)], "train", "random-features")
    else:
        data = Omniglot(split="train", rotations=True)
    return EpisodeSampler(data, N_WAY, K_SHOT, QUERIES, meta_batch, seed=0).sample()


def batched(meta: MetaLearner, batch: TaskBatch) -> None:
    meta.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    meta.meta_loss(batch).backward()


def one_at_a_time(meta: MetaLearner, batch: TaskBatch) -> None:
    meta.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    loss = sum(meta.meta_loss(batch[t:t + 1]) for t in range(batch.n_tasks)) / batch.n_tasks
    loss.backward()


def gradients(meta: MetaLearner, step, batch: TaskBatch) -> list[torch.Tensor]:
    step(meta, batch)
    return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in meta.parameters()]


def calls_per_second(call: Callable[[], None], seconds: float) -> float:
    """How often ``call()`` runs per second over ``seconds`` (at least two calls)."""
    calls, start = 0, time.perf_counter()
    while calls < 2 or time.perf_counter() - start < seconds:
        call()
        calls += 1
    return calls / (time.perf_counter() - start)


def best_rates(calls: dict[str, Callable[[], None]], seconds: float, rounds: int) -> dict[str, float]:
    """{name: best calls per second over ``rounds``}, the calls interleaved within each round."""
    best = dict.fromkeys(calls, 0.0)
    for _ in range(rounds):
        for name, call in calls.items():
            best[name] = max(best[name], calls_per_second(call, seconds))
    return best


def one_call(meta_batch: int, seconds: float, rounds: int) -> dict[str, Any]:
    """The ConvNet's forward + backward on T episodes' images: one call [1, T*B, ...] against T calls [1, B, ...]."""
    torch.manual_seed(0)
    net = ConvNet(1, N_WAY, hidden=64, image_size=28)
    batch = episodes("maml", meta_batch)
    images = torch.cat([batch.x_support, batch.x_query], 1)  # [T, B, 1, 28, 28], B = N * (K + Q)

    def together() -> None:
        net.zero_grad(set_to_none=True)
        net(images.flatten(0, 1).unsqueeze(0)).square().mean().backward()  # [1, T*B, N]

    def separately() -> None:
        net.zero_grad(set_to_none=True)
        sum(net(images[t:t + 1]).square().mean() for t in range(meta_batch)).backward()

    best = best_rates({"together": together, "separately": separately}, seconds, rounds)
    return {"meta_batch": meta_batch, "ratio": best["together"] / best["separately"]}


def measure(method: str, meta_batch: int, seconds: float, rounds: int) -> dict[str, Any]:
    meta, batch = build(method), episodes(method, meta_batch)
    difference = max(float((a - b).abs().max()) for a, b in
                     zip(gradients(meta, batched, batch), gradients(meta, one_at_a_time, batch)))
    calls = {"batched": lambda: batched(meta, batch), "one_at_a_time": lambda: one_at_a_time(meta, batch)}
    best = {name: per_call * batch.n_tasks for name, per_call in best_rates(calls, seconds, rounds).items()}
    return {"method": method, "meta_batch": meta_batch, "batched_eps": best["batched"],
            "one_at_a_time_eps": best["one_at_a_time"], "ratio": best["batched"] / best["one_at_a_time"],
            "max_grad_difference": difference}


def run(as_json: bool = False, seconds: float = 1.0, rounds: int = 3,
        methods: tuple[str, ...] | None = None) -> dict[str, Any]:
    rows = []
    for method in methods or sorted(METHODS):
        for meta_batch in META_BATCHES:
            rows.append(measure(method, meta_batch, seconds, rounds))
            if not as_json:
                r = rows[-1]
                print(f"{method:18s} T={meta_batch}: batched {r['batched_eps']:7.1f} episodes/s, one at a time "
                      f"{r['one_at_a_time_eps']:7.1f}, ratio {r['ratio']:4.2f}x, max |Δ grad| "
                      f"{r['max_grad_difference']:.1e}", flush=True)
    one_call_rows = [one_call(meta_batch, seconds, rounds) for meta_batch in META_BATCHES]
    gradient = [r for r in rows if r["method"] in GRADIENT_BASED]
    met = bool(gradient) and all(r["ratio"] >= TARGET for r in gradient)
    result = {"name": "fewshot", "setting": f"Omniglot 28x28, {N_WAY}-way {K_SHOT}-shot, {QUERIES} queries/class",
              "threads": torch.get_num_threads(), "rows": rows, "one_call": one_call_rows,
              "target_gradient_based": TARGET, "target_met": met}
    if as_json:
        print(json.dumps(result, indent=1))
    else:
        lowest = f" (lowest {min(r['ratio'] for r in gradient):.2f}x)" if gradient else " (none measured)"
        print(f"gradient-based methods at >= {TARGET}x batched over one at a time: {'yes' if met else 'NO'}{lowest}; "
              f"threads: {torch.get_num_threads()}")
        ratios = " / ".join(f"{c['ratio']:.2f}x at T={c['meta_batch']}" for c in one_call_rows)
        print(f"what batching can gain here: the ConvNet on all T episodes' images in one call runs {ratios} as fast "
              f"as one episode at a time (near 1: the arithmetic, not the calls, takes the time)")
    return result


BENCHMARKS = {"fewshot": run}
