"""Notebook 05's machinery: the MAML / first-order MAML / Reptile expansion checked live, and the three methods
meta-trained on the same sine tasks at several inner step sizes α (the α sweep behind the notebook's explorer).

Two claims, checked in quick mode by ``tests/live/test_reptile.py`` through these same functions:

- **the expansion is first-order right**: for the demo task, the residual ‖exact − first-order expansion‖ of each
  meta-gradient shrinks like α²: its least-squares slope on log-log axes over α ∈ [1e-3, 1e-1] is 2
  (``residual_slopes``; Nichol, Achiam & Schulman 2018, §5, whose expansion the notebook follows);
- **the B term shows in training**: after the same number of meta-iterations on the same tasks, one plain SGD step
  from MAML's θ fits new sines better than one from first-order MAML's θ, and both better than one from Reptile's
  θ (paired by task, 95% intervals above zero): per unit of the joint-training direction A, MAML weighs the
  within-task generalisation direction B by 2α, first-order MAML by α and Reptile by α/2 (k = 2).

The live runs use ``mlkit.experiments.maml_vs_reptile``'s protocol (``build``, ``sampler``): k = 2 gradient
evaluations per task, the same 20 points per task, α = 0.01 and Adam 1e-3 outside for all three; they differ in the
meta-gradient only. That experiment compares the methods at equal CPU time, these runs at equal meta-iterations.
Streams: training tasks from ``seed``, validation tasks from ``seed + 1``, test tasks from ``seed + 2``.

The α sweep (``alpha_sweep``) trains the three at every α of ``SWEEP_ALPHAS`` for the same iterations: 15 runs, too
many for a quick-mode notebook, so the one made with the quick-mode defaults is shipped
(``mlkit/results/maml-vs-reptile-alphas.json``, written by ``python -m mlkit.live.reptile``) and ``sweep`` reads it
when the settings match, trains it otherwise.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mlkit.analysis.expansion import METHODS, Batch, loglog_slope, residuals, split_batches
from mlkit.checks import check_choice, check_int, check_positive
from mlkit.evaluate import Score, evaluate
from mlkit.experiments import maml_vs_reptile
from mlkit.learners import MLP
from mlkit.meta import MAML
from mlkit.meta.base import MetaLearner
from mlkit.tasks import SineTasks
from mlkit.train import History, train

QUICK_ITERATIONS = 2000  # meta-iterations per method in quick mode: MAML's validation error has dropped by then
FULL_ITERATIONS = 20_000
VAL_POINTS = 10  # validation checks per run
VAL_TASKS = 100
TEST_TASKS = 600
ALPHA = maml_vs_reptile.FAMILIES["sine"]["alpha"]  # 0.01, the inner step of all three methods
MAX_K = 5  # the demo task is cut into this many mini-batches
POINTS = 10  # examples per mini-batch
ALPHAS = np.logspace(-3, -1, 9)  # the α axis over which the residual slopes are fitted
LABELS = maml_vs_reptile.LABELS


# ----- the expansion on one task ------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def demo_learner(train_steps: int = 50, seed: int = 0) -> MLP:
    """The sine MLP 1-40-40-1 after ``train_steps`` MAML steps (1 inner step, α = 0.01, 10 tasks per step, Adam
    1e-3): at the initial θ every bias is 0, so every ReLU kink sits at x = 0 among the data."""
    torch.manual_seed(check_int("seed", seed, 0))
    meta = MAML(MLP((1, 40, 40, 1)), steps=1, alpha=0.01)
    if check_int("train_steps", train_steps, 0):
        train(meta, SineTasks(k_shot=10, meta_batch=10, seed=seed + 1), train_steps, progress=False,
              log_every=train_steps, device="cpu")
    return meta.learner


@lru_cache(maxsize=None)
def demo_batches(task_seed: int = 0) -> list[Batch]:
    """One sine task cut into ``MAX_K`` mini-batches of ``POINTS`` points each (the batches (0), (1), ...)."""
    tasks = SineTasks("thesis", k_shot=POINTS, q_query=POINTS * (MAX_K - 1), meta_batch=1, seed=task_seed)
    return split_batches(tasks.sample(), MAX_K)


def residual_slopes(k: int = 2, train_steps: int = 50, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray],
                                                                                 dict[str, float]]:
    """The residual of each method's first-order expansion on the demo task over ``ALPHAS`` and its log-log slope.

    Returns ``(ALPHAS, {method: residual [len(ALPHAS)]}, {method: slope})``; the slope is 2 where the expansion
    holds (the residual is O(α²)).
    """
    k = check_int("k", k, 2, MAX_K)  # k = 1: every method is the plain gradient, the residual is exactly 0
    found = residuals(demo_learner(train_steps, seed), "regression", demo_batches(seed)[:k], ALPHAS, k=k)
    return ALPHAS, found, {m: loglog_slope(ALPHAS, found[m]) for m in METHODS}


# ----- the three methods trained live -------------------------------------------------------------------------

@dataclass
class LiveRun:
    """One method meta-trained live: the model, its ``History`` (validation MSE after one SGD step) and its seed."""

    method: str
    meta: MetaLearner
    history: History
    seed: int


def train_method(method: str, iterations: int = QUICK_ITERATIONS, seed: int = 0, progress: bool = True,
                 alpha: float = ALPHA) -> LiveRun:
    """Meta-train ``method`` ("maml", "fomaml" or "reptile") on sine tasks with the comparison's protocol, inner
    step size ``alpha`` (the comparison's 0.01 by default).

    Validation every tenth of the run on the same ``VAL_TASKS`` tasks: query MSE after one plain SGD step of α on
    the 10 support points (what ``adapt(steps=1)`` does for all three methods), so the curves are comparable.
    """
    check_choice("method", method, METHODS)
    iterations = check_int("iterations", iterations, VAL_POINTS)
    seed = check_int("seed", seed, 0)
    alpha = check_positive("alpha", alpha)
    meta = maml_vs_reptile.build(method, "sine", seed)
    meta.alpha = alpha  # MAML, first-order MAML and Reptile all read their inner step from .alpha
    meta.hparams["alpha"] = alpha
    tasks = maml_vs_reptile.sampler("sine", "train", seed, maml_vs_reptile.FAMILIES["sine"]["meta_batch"],
                                    reptile=method == "reptile")
    history = train(meta, tasks, iterations, val_sampler=maml_vs_reptile.sampler("sine", "val", seed + 1, VAL_TASKS),
                    val_every=iterations // VAL_POINTS, val_tasks=VAL_TASKS, val_adapt={"steps": 1}, device="cpu",
                    seed=seed, log_every=max(1, iterations // 50), progress=progress)
    return LiveRun(method, meta, history, seed)


def one_step_scores(runs: dict[str, LiveRun], n_tasks: int = TEST_TASKS) -> dict[str, Score]:
    """Query MSE after one plain SGD step of its α from each run's θ, on the same ``n_tasks`` new tasks (seed + 2):
    the same test for every method (a ``MAML`` wrapper around its learner), so the scores pair task by task."""
    seeds = {run.seed for run in runs.values()}
    if len(seeds) != 1:
        raise ValueError(f"runs must share one seed (the same training and test tasks), got seeds {sorted(seeds)}")
    seed = seeds.pop()
    scores = {}
    for method, run in runs.items():
        tester = MAML(run.meta.learner, "regression", steps=1, alpha=run.meta.alpha)
        scores[method] = evaluate(tester, maml_vs_reptile.sampler("sine", "test", seed + 2, 100),
                                  n_tasks=check_int("n_tasks", n_tasks, 1))
    return scores


# ----- the α sweep: the three methods trained at several step sizes (notebook 05's explorer) ---------------------

SWEEP_ALPHAS = (0.001, 0.003, 0.01, 0.03, 0.1)  # inner step sizes of the sweep, around the comparison's 0.01
SWEEP_FILE = Path(__file__).resolve().parents[1] / "results" / "maml-vs-reptile-alphas.json"
SWEEP_COMMAND = "python -m mlkit.live.reptile"
GAPS = (("fomaml", "maml"), ("reptile", "fomaml"))  # (worse, better) pairs whose paired differences are kept


def alpha_key(alpha: float) -> str:
    """How an α names its entry of the sweep: ``0.01`` -> ``"0.01"``."""
    return f"{alpha:g}"


def alpha_sweep(iterations: int = QUICK_ITERATIONS, seed: int = 0, alphas: tuple[float, ...] = SWEEP_ALPHAS,
                n_tasks: int = TEST_TASKS, progress: bool = True) -> dict[str, Any]:
    """Every method trained at every α of ``alphas`` with ``train_method`` (same tasks, same iterations) and scored
    with ``one_step_scores``; a JSON-able dict:

    ``{"iterations", "seed", "alphas", "command", "wall_s", "runs": {α: {method: {"val_steps", "val_metric",
    "diverged_at", "test": {"mean", "ci95", "n"} or None}}}, "gaps": {α: {"fomaml-maml": {"mean", "ci95"}, ...}}}``

    (α written by ``alpha_key``; a run whose training or test adaptation diverged has ``test`` None).
    """
    from mlkit.checks import Diverged
    from mlkit.live.sine import paired_gap

    iterations = check_int("iterations", iterations, VAL_POINTS)
    seed = check_int("seed", seed, 0)
    alphas = tuple(check_positive("alpha", a) for a in alphas)
    start = time.perf_counter()
    result: dict[str, Any] = {"iterations": iterations, "seed": seed, "alphas": list(alphas), "n_tasks": n_tasks,
                              "command": SWEEP_COMMAND + (f" --iterations {iterations}" if iterations != QUICK_ITERATIONS
                                                          else "") + (f" --seed {seed}" if seed else ""),
                              "runs": {}, "gaps": {}}
    for alpha in alphas:
        runs = {m: train_method(m, iterations, seed, progress, alpha=alpha) for m in METHODS}
        scores = {}
        for method, run in runs.items():
            try:
                scores[method] = None if run.history.diverged else one_step_scores({method: run}, n_tasks)[method]
            except Diverged:
                scores[method] = None
        key = alpha_key(alpha)
        result["runs"][key] = {m: {"val_steps": list(runs[m].history.val_steps),
                                   "val_metric": [float(v) for v in runs[m].history.val_metric],
                                   "diverged_at": runs[m].history.diverged_at,
                                   "test": None if scores[m] is None else scores[m].as_dict()} for m in METHODS}
        result["gaps"][key] = {f"{w}-{b}": None if scores[w] is None or scores[b] is None else
                               {k: v for k, v in paired_gap(scores[w], scores[b]).as_dict().items() if k != "metric"}
                               for w, b in GAPS}
    result["wall_s"] = time.perf_counter() - start
    return result


def load_sweep(path: str | Path = SWEEP_FILE) -> dict[str, Any]:
    """The α sweep stored at ``path`` (by default the one shipped with mlkit, made by ``SWEEP_COMMAND``)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no α sweep at {path}: run `{SWEEP_COMMAND}` first")
    return json.loads(path.read_text())


def sweep(iterations: int = QUICK_ITERATIONS, seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """The shipped α sweep when it was made with ``iterations`` and ``seed``; otherwise ``alpha_sweep`` computed now
    (15 trainings: minutes)."""
    iterations, seed = check_int("iterations", iterations, VAL_POINTS), check_int("seed", seed, 0)
    if SWEEP_FILE.is_file():
        shipped = load_sweep()
        if (shipped["iterations"], shipped["seed"], tuple(shipped["alphas"])) == (iterations, seed, SWEEP_ALPHAS):
            return shipped
    return alpha_sweep(iterations, seed, progress=progress)


def main(argv: list[str] | None = None) -> int:
    """``python -m mlkit.live.reptile [--iterations N] [--seed S] [--out FILE]``: run the α sweep and write it."""
    import argparse

    parser = argparse.ArgumentParser(prog=SWEEP_COMMAND, description="MAML, first-order MAML and Reptile trained at "
                                     f"the inner step sizes {', '.join(map(alpha_key, SWEEP_ALPHAS))} on sine tasks")
    parser.add_argument("--iterations", type=int, default=QUICK_ITERATIONS, help="meta-iterations per run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=SWEEP_FILE, help="the JSON file to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    result = alpha_sweep(args.iterations, args.seed)
    args.out.write_text(json.dumps(result, indent=1, allow_nan=False) + "\n")
    for key, runs in result["runs"].items():
        tests = ", ".join(f"{LABELS[m]} {'diverged' if r['test'] is None else format(r['test']['mean'], '.3f')}"
                          for m, r in runs.items())
        print(f"α = {key}: query MSE after one step: {tests}")
    print(f"{args.out} written in {result['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
