"""Live sine regression for notebooks 00 and 01: meta-train MAML and the pretrained baseline in seconds, then score
both on the same held-out tasks.

The setting is Finn et al. (2017) §5.1 on the thesis's sine tasks (Lee 2018, §6.1: amplitude, frequency and
phase drawn per task): the 1-40-40-1 MLP, meta-batch 25, K support and 10 query points per task, one inner step
of size α = 0.01 (eq. 2.1), Adam with β = 1e-3 for the outer step (eq. 2.2). The baseline is §5.1's "pretrained"
network: it regresses the points of every task of the meta-batch at once (``FineTune``), then, for a new task,
takes SGD steps on the support set with a step size chosen on validation tasks ("an automatically tuned step
size", §5.1). Quick mode trains each for ``QUICK_ITERATIONS`` meta-iterations, full mode for the paper's 70 000.

Streams: training tasks from ``seed``, validation tasks from ``seed + 1``, test tasks from ``seed + 2``; the
initial weights from ``seed``. What the notebooks claim, and ``tests/live/test_sine.py`` checks through these
same functions:

- notebook 00: after the same meta-training, one MAML step fits a new sine better than ten fine-tuning steps of
  the baseline (difference paired by task, 95% interval above zero);
- notebook 01: after one step each, the live MAML beats the baseline trained on all tasks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from mlkit.checks import check_choice, check_int, check_positive
from mlkit.evaluate import Score, confidence_interval, evaluate
from mlkit.meta.base import MetaLearner
from mlkit.meta.finetune import FineTune
from mlkit.recipes import build
from mlkit.tasks.regression import SineTasks
from mlkit.train import History, train
from mlkit.tuning import select_sgd

QUICK_ITERATIONS = 3000  # meta-iterations of a quick-mode run: MAML's validation error has clearly dropped by then
FULL_ITERATIONS = 70_000  # Finn et al.'s sine runs (the meta-training iterations of their code)
META_BATCH = 25  # tasks per meta-iteration, Finn et al. §5.1
TEST_TASKS = 600  # held-out tasks behind every score, as in the papers
VAL_TASKS = 100  # validation tasks behind the training curve and the baseline's step-size choice
VAL_POINTS = 10  # validation checks per run
BASELINE_LRS = (0.003, 0.01, 0.03)  # the baseline's fine-tuning step sizes tried on validation tasks
METHODS = ("maml", "finetune")
LABELS = {"maml": "MAML", "finetune": "baseline (pretrained on all tasks)"}


@dataclass
class LiveRun:
    """A meta-learner trained live, its training ``History`` and the settings that made it."""

    method: str
    meta: MetaLearner
    history: History
    shots: int
    seed: int


def sine_tasks(shots: int, seed: int, meta_batch: int = META_BATCH) -> SineTasks:
    """The thesis's sine tasks (Lee 2018, §6.1) with ``shots`` support and 10 query points per task."""
    return SineTasks("thesis", k_shot=check_int("shots", shots, 1, 20), meta_batch=meta_batch, seed=seed)


def build_sine(method: str = "maml", shots: int = 10, alpha: float = 0.01, seed: int = 0) -> MetaLearner:
    """A fresh ``"maml"`` (inner step ``alpha``) or ``"finetune"`` model for sine tasks; weights drawn from ``seed``."""
    check_choice("method", method, METHODS)
    options = {"alpha": check_positive("alpha", alpha)} if method == "maml" else {}
    return build(method, sine_tasks(shots, seed), seed=check_int("seed", seed, 0), **options)


def train_sine(meta: MetaLearner, shots: int = 10, iterations: int = QUICK_ITERATIONS, seed: int = 0,
               progress: bool = True) -> LiveRun:
    """Meta-train ``meta`` (from ``build_sine``: MAML, eqs. 2.1-2.2 of Lee 2018, or the baseline) on sine tasks.

    Every model sees the same training tasks (seed ``seed``) and is validated every tenth of the run on the same
    ``VAL_TASKS`` tasks after one adaptation step (MAML with its α, the baseline with SGD step 0.01), so their
    curves are comparable. After training, the baseline's fine-tuning step size is chosen among ``BASELINE_LRS``
    on those validation tasks for ten steps (``mlkit.tuning.select_sgd``) and kept in ``meta.lr``.
    """
    check_choice("meta.name", meta.name, METHODS)
    iterations = check_int("iterations", iterations, VAL_POINTS)
    seed = check_int("seed", seed, 0)
    tasks = sine_tasks(shots, seed)
    history = train(meta, tasks, iterations, val_sampler=sine_tasks(shots, seed + 1),
                    val_every=iterations // VAL_POINTS, val_tasks=VAL_TASKS, val_adapt={"steps": 1}, device="cpu",
                    seed=seed, log_every=max(1, iterations // 100), progress=progress)
    if isinstance(meta, FineTune):
        select_sgd(meta, sine_tasks(shots, seed + 1, meta_batch=VAL_TASKS), lrs=BASELINE_LRS, decays=(1.0,),
                   n_tasks=VAL_TASKS)
    return LiveRun(meta.name, meta, history, shots, seed)


def held_out_score(run: LiveRun, steps: int, n_tasks: int = TEST_TASKS) -> Score:
    """Query MSE of ``run``'s model over ``n_tasks`` held-out tasks (seed ``run.seed + 2``) after ``steps`` steps.

    Every call scores the same tasks, so two scores can be compared task by task (``paired_gap``).
    """
    tasks = sine_tasks(run.shots, run.seed + 2, meta_batch=100)
    return evaluate(run.meta, tasks, n_tasks=n_tasks, steps=check_int("steps", steps, 0))


def paired_gap(worse: Score, better: Score) -> Score:
    """``worse − better`` task by task, with its 95% interval (1.96·σ/√n): above zero means ``better`` wins."""
    if len(worse.values) != len(better.values):
        raise ValueError(f"scores must come from the same tasks, got {len(worse.values)} and {len(better.values)}")
    return confidence_interval(worse.values - better.values)


def maml_against_baseline(maml: LiveRun, baseline: LiveRun, baseline_steps: Sequence[int] = (0, 1, 10, 100),
                          n_tasks: int = TEST_TASKS) -> dict[str, Score]:
    """The scores a notebook compares: MAML after one step and the baseline after each of ``baseline_steps``.

    Keys: ``"MAML, 1 step"`` and ``"baseline, N steps"``; all on the same ``n_tasks`` held-out tasks.
    """
    if (maml.method, baseline.method) != ("maml", "finetune") or (maml.shots, maml.seed) != (baseline.shots,
                                                                                               baseline.seed):
        raise ValueError("maml and baseline must be a 'maml' and a 'finetune' run with the same shots and seed")
    scores = {"MAML, 1 step": held_out_score(maml, 1, n_tasks)}
    for steps in baseline_steps:
        scores[f"baseline, {steps} step{'s' * (steps != 1)}"] = held_out_score(baseline, steps, n_tasks)
    return scores
