"""Lesson 06, exercise 5: the latent steps never move a task's mean code; from equal codes one step separates them.

Run: ``python lessons/solutions/06_mean_code.py`` (seconds).
"""
from __future__ import annotations

import torch

from mlkit.live.leo import tasks
from mlkit.viz.leo import load_shipped


def mean_code_check(n_tasks: int = 100) -> dict[str, float]:
    """The largest change of a task's mean code over the latent steps of the shipped 1-shot model; and, starting every
    class of a task from the same code (as the random prior does at test time), how far apart one step puts them."""
    meta = load_shipped(1, "tuned")
    batch = tasks("test", 1).sample(n_tasks)
    path = meta.adapt(batch.x_support, batch.y_support).extras["z_path"]  # [steps + 1, T, N, n_z]
    shift = float((path.mean(2) - path[:1].mean(2)).abs().max())  # the task means [steps + 1, T, n_z] along the path
    start = torch.zeros(n_tasks, meta.n_way, meta.latent_dim, requires_grad=True)  # every class at the same code
    logits = meta._logits_from_codes(batch.x_support, {"z": start})
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), batch.y_support.flatten(), reduction="sum")
    grad, = torch.autograd.grad(loss, start)  # [T, N, n_z]
    step = -meta.latent_lr.detach() * grad  # one latent step from the common start
    spread = float(torch.cdist(step, step).sum((1, 2)).mean() / (meta.n_way * (meta.n_way - 1)))
    return {"mean_shift": shift, "gradient_sum": float(grad.sum(1).abs().max()), "spread_after_one_step": spread}


if __name__ == "__main__":
    found = mean_code_check()
    print(f"largest change of a task's mean code over the latent steps: {found['mean_shift']:.1e}")
    print(f"largest |sum over a task's classes of the code gradients| at a common start: {found['gradient_sum']:.1e}")
    print(f"mean distance between two classes' codes after one step from a common start: "
          f"{found['spread_after_one_step']:.3f}")
