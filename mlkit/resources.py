"""Memory guards: refuse, before allocating anything, a meta-batch, an episode size or an image size whose tensors
cannot fit in this machine's memory, with the estimate in the message (instead of allocating gigabytes and dying).

The estimates are rough and on the low side (float32 inputs and targets; for training, the learner's activations
kept for backpropagation, once per inner step): a run refused here could not have run.
"""
from __future__ import annotations

import math
import os
from typing import Any

FLOAT = 4  # bytes of a float32


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (``MemAvailable`` of /proc/meminfo, else ``os.sysconf``);
    None where neither says."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def size_text(n_bytes: float) -> str:
    """``1536`` -> ``"1.5 KB"``; ``3e9`` -> ``"3.0 GB"``."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes < 1024 or unit == "TB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return ""


def check_fits(what: str, n_bytes: float, hint: str) -> None:
    """Raise ``ValueError`` if ``n_bytes`` exceed the available memory: "<what> need(s) about X of memory, more
    than the Y available; <hint>"."""
    available = available_memory()
    if available is not None and n_bytes > available:
        raise ValueError(f"{what} about {size_text(n_bytes)} of memory, more than the {size_text(available)} "
                         f"available; {hint}")


def examples_per_task(sampler: Any) -> int:
    """Support plus query examples of one task (N·(K + Q) for N-way episodes)."""
    n_way = sampler.n_way if sampler.task_type == "classification" else 1
    return n_way * (sampler.k_shot + sampler.q_query)


def batch_bytes(sampler: Any, n_tasks: int) -> int:
    """Bytes of the inputs and targets of ``n_tasks`` tasks (images: the uint8 pixels gathered, then float32)."""
    pixels = math.prod(sampler.input_shape)
    per_example = pixels * (FLOAT + 1) + 8 if sampler.task_type == "classification" else (pixels + 1) * FLOAT
    return n_tasks * examples_per_task(sampler) * per_example


def check_batch_memory(sampler: Any, n_tasks: int | None = None, name: str = "meta_batch") -> None:
    """Refuse a sampler whose meta-batch (or a ``sample(n_tasks)``) cannot fit in memory."""
    n = sampler.meta_batch if n_tasks is None else n_tasks
    shape = "x".join(map(str, sampler.input_shape))
    check_fits(f"{name} = {n} tasks of {examples_per_task(sampler)} examples of shape {shape} need",
               batch_bytes(sampler, n), f"use a smaller {name}" + (", n_way, k_shot or q_query"
                                                                   if sampler.task_type == "classification" else ""))


def learner_floats(learner: Any) -> int:
    """Activations of one example through the learner (floats kept for backpropagation), roughly."""
    from mlkit.learners import ConvNet, MLP

    if isinstance(learner, MLP):
        return 2 * sum(learner.sizes[1:])
    if isinstance(learner, ConvNet):
        size, total = learner.image_size, 0
        for _ in range(learner.blocks):
            if learner.downsample == "stride":
                size = (size + 1) // 2
            total += 3 * learner.hidden * size * size  # convolution, batch norm, ReLU outputs
            if learner.downsample == "maxpool":
                size //= 2
        return total
    return 0


def training_bytes(meta: Any, sampler: Any) -> int:
    """One meta-training step of ``meta`` on ``sampler``'s meta-batch: inputs, plus the learner's activations for
    every inner step -- or, for the LSTM meta-learner (whose learner graph is dropped after each step), its own
    states: about 7·hidden + 16 floats per coordinate, task and step (measured: 153 for hidden 20)."""
    steps = getattr(meta, "steps", 0)
    steps = steps if isinstance(steps, int) else 0
    examples = sampler.meta_batch * examples_per_task(sampler)
    coordinates = getattr(meta, "n_coordinates", 0)
    kept = 1 if coordinates else steps + 1  # copies of the learner's activations kept for backpropagation
    total = batch_bytes(sampler, sampler.meta_batch) + examples * learner_floats(meta.learner) * FLOAT * kept
    if coordinates:
        total += sampler.meta_batch * coordinates * steps * (7 * getattr(meta, "hidden", 20) + 16) * FLOAT
    return total


def check_training_memory(meta: Any, sampler: Any) -> None:
    """Refuse a training run whose one meta-training step cannot fit in memory (samplers that do not say their
    sizes, ``k_shot``, ``q_query``, ``meta_batch``, ``input_shape``, are not checked)."""
    if not all(hasattr(sampler, a) for a in ("k_shot", "q_query", "meta_batch", "input_shape", "task_type")):
        return
    check_fits(f"one training step of {meta.name} (meta_batch = {sampler.meta_batch} tasks of "
               f"{examples_per_task(sampler)} examples) needs", training_bytes(meta, sampler),
               "use a smaller meta_batch, fewer examples per task or fewer inner steps")
