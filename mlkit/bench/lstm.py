"""Benchmark: meta-training speed of the LSTM meta-learner (Ravi & Larochelle 2017), batched over tasks.

``python -m mlkit bench lstm``. One meta-iteration = ``meta_loss`` + backward on a meta-batch of 4 random 5-way
1-shot episodes (28×28 images, 15 queries per class, T = 12 updates, the 8-filter learner of
``reproduce lstm-omniglot``). Every coordinate of every task goes through the shared LSTM as one batch of rows.
Two in-run references, measured now on this machine:
- the same work one task at a time (``meta_loss`` on each episode alone, gradients accumulated): the gain from
  batching over tasks;
- on a tiny learner (2 filters, 16×16 images, 157 coordinates), the LSTM called once per coordinate
  (``rows_per_call=1``, the loop a literal reading of "one LSTM per parameter" gives) against all rows at once.
Plain fine-tuning of the big learner (12 SGD steps per episode, no meta-gradient) is timed too, for scale.
Meta-testing (no graph kept) pushes the rows through the LSTM ``EVAL_ROWS_PER_CALL`` at a time: timed on 25
episodes against all their rows in one call.
"""
from __future__ import annotations

import json
import time
from typing import Callable

import torch

from mlkit.learners import ConvNet
from mlkit.meta.finetune import FineTune
from mlkit.meta.lstm_meta import EVAL_ROWS_PER_CALL, LSTMMetaLearner
from mlkit.tasks.batch import TaskBatch

TASKS, STEPS, FILTERS = 4, 12, 8
EVAL_TASKS = 25  # episodes meta-tested at once, as mlkit.evaluate does


def _episodes(n_tasks: int, size: int = 28, seed: int = 0) -> TaskBatch:
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(5)
    return TaskBatch(torch.rand(n_tasks, 5, 1, size, size, generator=g), labels.repeat(n_tasks, 1),
                     torch.rand(n_tasks, 75, 1, size, size, generator=g),
                     labels.repeat_interleave(15).repeat(n_tasks, 1), {})


def _rate(work: Callable[[], None], episodes_per_call: int, seconds: float = 8.0) -> float:
    """Episodes per second of ``work`` over at least ``seconds`` (after one warm-up call)."""
    work()
    calls, start = 0, time.perf_counter()
    while calls < 2 or time.perf_counter() - start < seconds:
        work()
        calls += 1
    return calls * episodes_per_call / (time.perf_counter() - start)


def run(as_json: bool = False) -> dict:
    torch.manual_seed(0)
    meta = LSTMMetaLearner(ConvNet(1, 5, hidden=FILTERS, image_size=28, downsample="maxpool"), steps=STEPS)
    batch = _episodes(TASKS)

    def batched() -> None:
        meta.zero_grad()
        meta.meta_loss(batch).backward()

    def one_task_at_a_time() -> None:
        meta.zero_grad()
        for t in range(TASKS):
            (meta.meta_loss(batch[t : t + 1]) / TASKS).backward()

    finetune = FineTune(ConvNet(1, 5, hidden=FILTERS, image_size=28, downsample="maxpool"), "classification",
                        steps=STEPS, lr=0.1)
    tiny = LSTMMetaLearner(ConvNet(1, 5, hidden=2, image_size=16, downsample="maxpool"), steps=STEPS)
    tiny_batch = _episodes(1, size=16)

    def tiny_episode(rows_per_call: int | None) -> Callable[[], None]:
        def work() -> None:
            c, _ = tiny.run_episode(tiny_batch.x_support, tiny_batch.y_support, rows_per_call=rows_per_call)
            tiny.zero_grad()
            tiny.loss(tiny.learner(tiny_batch.x_query, tiny.weights_of(c)), tiny_batch.y_query).mean().backward()
        return work

    test_batch = _episodes(EVAL_TASKS, seed=1)

    def meta_test(rows_per_call: int) -> Callable[[], None]:
        def work() -> None:
            with torch.no_grad():
                meta.run_episode(test_batch.x_support, test_batch.y_support, rows_per_call=rows_per_call)
        return work

    result = {
        "tiny_coordinates": tiny.n_coordinates,
        "tiny_all_rows_episodes_per_s": _rate(tiny_episode(None), 1, seconds=4.0),
        "tiny_per_coordinate_episodes_per_s": _rate(tiny_episode(1), 1, seconds=4.0),
        "coordinates": meta.n_coordinates, "tasks_per_batch": TASKS, "updates_per_episode": STEPS,
        "threads": torch.get_num_threads(),
        "batched_episodes_per_s": _rate(batched, TASKS),
        "looped_episodes_per_s": _rate(one_task_at_a_time, TASKS),
        "finetune_episodes_per_s": _rate(
            lambda: finetune.adapt(batch.x_support, batch.y_support).predict(batch.x_query), TASKS),
        "test_rows": EVAL_TASKS * meta.n_coordinates, "test_rows_per_call": EVAL_ROWS_PER_CALL,
        "test_chunked_episodes_per_s": _rate(meta_test(EVAL_ROWS_PER_CALL), EVAL_TASKS, seconds=4.0),
        "test_one_call_episodes_per_s": _rate(meta_test(EVAL_TASKS * meta.n_coordinates), EVAL_TASKS, seconds=4.0),
    }
    result["speedup_vs_looped"] = result["batched_episodes_per_s"] / result["looped_episodes_per_s"]
    result["test_speedup_chunked"] = result["test_chunked_episodes_per_s"] / result["test_one_call_episodes_per_s"]
    result["tiny_speedup_vs_per_coordinate"] = (result["tiny_all_rows_episodes_per_s"]
                                                / result["tiny_per_coordinate_episodes_per_s"])
    result = {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}
    if as_json:
        print(json.dumps(result))
    else:
        print(f"LSTM meta-learner, {meta.n_coordinates:,} learner coordinates, {TASKS} tasks x {STEPS} updates "
              f"({result['threads']} threads)")
        print(f"{'meta-training, batched':<34}{result['batched_episodes_per_s']:>10.2f} episodes/s")
        print(f"{'meta-training, one task at a time':<34}{result['looped_episodes_per_s']:>10.2f} episodes/s")
        print(f"{'speed-up from batching':<34}{result['speedup_vs_looped']:>10.2f}x")
        print(f"{'plain fine-tuning (no meta-grad)':<34}{result['finetune_episodes_per_s']:>10.2f} episodes/s")
        print(f"meta-testing {EVAL_TASKS} episodes ({result['test_rows']:,} rows), no graph")
        print(f"{f'rows in chunks of {EVAL_ROWS_PER_CALL}':<34}{result['test_chunked_episodes_per_s']:>10.2f} episodes/s")
        print(f"{'all rows in one LSTM call':<34}{result['test_one_call_episodes_per_s']:>10.2f} episodes/s")
        print(f"{'speed-up from chunking':<34}{result['test_speedup_chunked']:>10.2f}x")
        print(f"tiny learner, {tiny.n_coordinates} coordinates, 1 task x {STEPS} updates")
        print(f"{'all coordinates in one LSTM call':<34}{result['tiny_all_rows_episodes_per_s']:>10.2f} episodes/s")
        print(f"{'one LSTM call per coordinate':<34}{result['tiny_per_coordinate_episodes_per_s']:>10.2f} episodes/s")
        print(f"{'speed-up from batching rows':<34}{result['tiny_speedup_vs_per_coordinate']:>10.2f}x")
    return result


BENCHMARKS = {"lstm": run}
