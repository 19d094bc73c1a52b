"""``python -m mlkit bench maml-sine [--json]``: meta-iterations per second of mlkit's MAML on sine regression.

The setting of Finn et al. (2017) §5.1: MLP 1-40-40-1, meta-batch 25, K = 10 support and 10 query points per
task, inner step α = 0.01, outer Adam with learning rate 1e-3; 1 and 5 inner steps, second and first order.
mlkit is timed beside two references computed in the same run, from the same initial weights and batches:
- "plain loop": what most libraries do — a functional MLP, one task at a time, ``torch.autograd.grad`` per task;
- "hand bmm": all tasks at once, written out by hand with ``torch.baddbmm`` (the bar to reach).
All three step θ with the same outer optimiser, Adam in PyTorch's fused form (what mlkit's training loop gets from
``configure_optimizer``), so the ratios compare the meta-gradient computations alone.
Before timing, the three meta-gradients are compared (max absolute difference, float32). Each implementation
runs for ``seconds`` per round, the rounds interleave the implementations, and the best round counts (the
machine is shared, so the least disturbed round is the most faithful). Rates are given by wall-clock time and,
as a cross-check that other processes' load does not decide the ratios, by this process's CPU time.
"""
from __future__ import annotations

import json
import time
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.learners import MLP
from mlkit.meta.maml import MAML
from mlkit.tasks import SineTasks
from mlkit.tasks.batch import TaskBatch

META_BATCH, K_SHOT, ALPHA, META_LR = 25, 10, 0.01, 1e-3
CONFIGS = [(1, False), (5, False), (1, True), (5, True)]  # (inner steps, first order)
TARGETS = {"vs_plain": 8.0, "vs_hand": 0.8}


def _mse(out: Tensor, y: Tensor) -> Tensor:
    return ((out - y) ** 2).mean()


def _net(x: Tensor, p: list[Tensor]) -> Tensor:
    """One task's MLP: x [B, 1] -> [B, 1] with p = [w0, b0, w1, b1, w2, b2], w [in, out]."""
    h = F.relu(x @ p[0] + p[1])
    h = F.relu(h @ p[2] + p[3])
    return h @ p[4] + p[5]


def plain_loop_loss(params: list[Tensor], batch: TaskBatch, steps: int, first_order: bool) -> Tensor:
    """The MAML meta-loss one task at a time (reference a)."""
    total = 0.0
    for t in range(batch.n_tasks):
        fast = params
        for _ in range(steps):
            loss = _mse(_net(batch.x_support[t], fast), batch.y_support[t])
            grads = torch.autograd.grad(loss, fast, create_graph=not first_order)
            fast = [p - ALPHA * g for p, g in zip(fast, grads)]
        total = total + _mse(_net(batch.x_query[t], fast), batch.y_query[t])
    return total / batch.n_tasks


def _net_batched(x: Tensor, p: list[Tensor]) -> Tensor:
    """T tasks' MLPs at once: x [T, B, 1], p with a leading task dimension -> [T, B, 1]."""
    h = F.relu(torch.baddbmm(p[1].unsqueeze(1), x, p[0]))
    h = F.relu(torch.baddbmm(p[3].unsqueeze(1), h, p[2]))
    return torch.baddbmm(p[5].unsqueeze(1), h, p[4])


def hand_batched_loss(params: list[Tensor], batch: TaskBatch, steps: int, first_order: bool) -> Tensor:
    """The MAML meta-loss for all tasks at once with batched matrix products (reference b)."""
    t = batch.n_tasks
    fast = [p.expand(t, *p.shape) for p in params]
    for _ in range(steps):
        loss = ((_net_batched(batch.x_support, fast) - batch.y_support) ** 2).mean((1, 2)).sum()
        grads = torch.autograd.grad(loss, fast, create_graph=not first_order)
        fast = [p - ALPHA * g for p, g in zip(fast, grads)]
    return ((_net_batched(batch.x_query, fast) - batch.y_query) ** 2).mean()


class _Implementation:
    """One way of computing MAML: ``loss(batch)`` and the parameters its Adam optimiser steps."""

    def __init__(self, params: list[Tensor], loss: Callable[[TaskBatch], Tensor],
                 optimizer: torch.optim.Optimizer | None = None) -> None:
        self.params = params
        self.loss = loss
        self.optimizer = optimizer or torch.optim.Adam(params, lr=META_LR, fused=True)

    def gradient(self, batch: TaskBatch) -> list[Tensor]:
        return list(torch.autograd.grad(self.loss(batch), self.params))

    def step(self, batch: TaskBatch) -> None:
        loss = self.loss(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()


def implementations(steps: int, first_order: bool, seed: int = 0,
                    dtype: torch.dtype = torch.float32, device: str = "cpu") -> dict[str, _Implementation]:
    """mlkit and the two references, all starting from the same weights."""
    torch.manual_seed(seed)
    meta = MAML(MLP((1, 40, 40, 1)), steps=steps, alpha=ALPHA, first_order=first_order, meta_lr=META_LR)
    meta.to(device=device, dtype=dtype)
    ours = _Implementation(list(meta.parameters()), meta.meta_loss, meta.configure_optimizer(1)[0])  # as train() does

    def copy() -> list[Tensor]:
        return [p.detach().clone().requires_grad_(True) for p in meta.parameters()]

    plain, hand = copy(), copy()
    return {
        "plain loop": _Implementation(plain, lambda b: plain_loop_loss(plain, b, steps, first_order)),
        "hand bmm": _Implementation(hand, lambda b: hand_batched_loss(hand, b, steps, first_order)),
        "mlkit": ours,
    }


def gradient_differences(steps: int, first_order: bool, dtype: torch.dtype = torch.float32,
                         device: str = "cpu") -> dict[str, float]:
    """Max |difference| between mlkit's meta-gradient and each reference's, on one meta-batch."""
    impls = implementations(steps, first_order, dtype=dtype, device=device)
    batch = SineTasks("maml", k_shot=K_SHOT, meta_batch=META_BATCH, seed=1).sample().to(device)
    batch = TaskBatch(*(v.to(dtype) for v in (batch.x_support, batch.y_support, batch.x_query, batch.y_query)))
    grads = {name: impl.gradient(batch) for name, impl in impls.items()}
    return {
        name: max((a - b).abs().max().item() for a, b in zip(grads["mlkit"], grads[name]))
        for name in ("plain loop", "hand bmm")
    }


def _rates(impl: _Implementation, batches: list[TaskBatch], seconds: float, sync: Callable[[], None]) -> tuple[float, float]:
    """Meta-iterations per second of wall-clock time and of process CPU time, over (at least) ``seconds``."""
    done, start, start_cpu = 0, time.perf_counter(), time.process_time()
    while True:
        impl.step(batches[done % len(batches)])
        done += 1
        if done % 4 == 0:
            sync()
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return done / elapsed, done / max(time.process_time() - start_cpu, 1e-9)


def run(as_json: bool = False, seconds: float = 1.0, rounds: int = 3, device: str = "cpu") -> dict:
    """Measure, print the table (or JSON) and return it. ``seconds`` per implementation and round."""
    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)
    sampler = SineTasks("maml", k_shot=K_SHOT, meta_batch=META_BATCH, seed=0)
    batches = [sampler.sample().to(device) for _ in range(16)]
    rows = []
    for steps, first_order in CONFIGS:
        impls = implementations(steps, first_order, device=device)
        for impl in impls.values():  # warm up (allocator, autograd caches)
            for b in batches[:3]:
                impl.step(b)
        best = {name: 0.0 for name in impls}
        best_cpu = dict(best)
        for _ in range(rounds):
            for name, impl in impls.items():
                wall, cpu = _rates(impl, batches, seconds, sync)
                best[name], best_cpu[name] = max(best[name], wall), max(best_cpu[name], cpu)
        rows.append({
            "steps": steps, "order": "first" if first_order else "second", "it_per_s": best,
            "mlkit_vs_plain": best["mlkit"] / best["plain loop"], "mlkit_vs_hand": best["mlkit"] / best["hand bmm"],
            "cpu_it_per_s": best_cpu, "cpu_mlkit_vs_plain": best_cpu["mlkit"] / best_cpu["plain loop"],
            "cpu_mlkit_vs_hand": best_cpu["mlkit"] / best_cpu["hand bmm"],
            "max_abs_grad_diff": gradient_differences(steps, first_order, device=device),
        })
    result = {
        "benchmark": "maml-sine", "device": str(device), "threads": torch.get_num_threads(),
        "torch": torch.__version__, "setting": {"mlp": [1, 40, 40, 1], "meta_batch": META_BATCH, "k_shot": K_SHOT,
                                                 "alpha": ALPHA, "meta_lr": META_LR},
        "seconds": seconds, "rounds": rounds, "rows": rows, "targets": TARGETS,
    }
    print(json.dumps(result, indent=2) if as_json else format_table(result))
    return result


def format_table(result: dict) -> str:
    lines = [
        f"MAML on sine: MLP 1-40-40-1, meta-batch {META_BATCH}, K={K_SHOT}, alpha={ALPHA}, Adam {META_LR}; "
        f"{result['device']}, {result['threads']} thread(s), torch {result['torch']}; "
        f"meta-iterations/s, best of {result['rounds']} rounds of {result['seconds']:g} s",
        f"{'steps':>5} {'order':>6} {'plain loop':>11} {'hand bmm':>9} {'mlkit':>8} {'mlkit/plain':>12} "
        f"{'mlkit/hand':>11}  max |grad diff| vs plain, hand",
    ]
    for r in result["rows"]:
        rate, diff = r["it_per_s"], r["max_abs_grad_diff"]
        lines.append(
            f"{r['steps']:>5} {r['order']:>6} {rate['plain loop']:>11.1f} {rate['hand bmm']:>9.1f} {rate['mlkit']:>8.1f} "
            f"{r['mlkit_vs_plain']:>11.2f}x {r['mlkit_vs_hand']:>10.2f}x  {diff['plain loop']:.1e}, {diff['hand bmm']:.1e}"
        )
    cpu = ", ".join(f"{r['steps']}/{r['order']} {r['cpu_mlkit_vs_plain']:.2f}x, {r['cpu_mlkit_vs_hand']:.2f}x"
                    for r in result["rows"])
    lines.append(f"same ratios by process CPU time (mlkit/plain, mlkit/hand; less sensitive to other load): {cpu}")
    lines.append(f"targets: mlkit/plain >= {TARGETS['vs_plain']:g}x, mlkit/hand >= {TARGETS['vs_hand']:g}x")
    return "\n".join(lines)


BENCHMARKS = {"maml-sine": run}
