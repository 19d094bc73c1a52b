"""Live step-size robustness for notebook 02 (Lee 2018, §4.1 and §6.2, Table 6.2): MAML and a T-net meta-trained
with a badly chosen inner step size α, too small and too large, in seconds each.

A T-net cell computes y = T W x (eq. 3.1) and its inner loop adapts W only (eq. 3.2), so one step moves the cell's
product A = W T by −α ∇_A L · (TᵀT) in mlkit's row-vector layout (eq. 4.3; the thesis's column form reads
−α T Tᵀ ∇_A L): along an eigenvector of the meta-learned TᵀT with eigenvalue λ the effective step is α·λ. MAML has
no such factor. Both runs of a pair start from the same weights (the T-net's T from the identity, where TᵀT = I and
its step is MAML's) and see the same tasks: the sine tasks of ``mlkit.live.sine`` (meta-batch 25, 10 shots),
``QUICK_ITERATIONS`` meta-iterations each (the notebook also races the student's own T-net against mlkit's first,
``mlkit.exercises.tnet``, and stays under a minute).

What notebook 02 claims, and ``tests/live/test_step_size.py`` checks through these functions: at both ends of
Table 6.2's range of α the live T-net's query error after one step is below MAML's (paired by task, 95% interval
above zero), and its TᵀT has moved the way eq. 4.3 asks: eigenvalues above 1 (longer steps) when α is too small,
the output layer's below 1 (shorter steps) when α is too large.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from mlkit.checks import Diverged, check_int, check_positive
from mlkit.evaluate import Score, evaluate
from mlkit.experiments.step_size import metric_spectrum
from mlkit.meta.base import MetaLearner
from mlkit.live.sine import META_BATCH, TEST_TASKS, VAL_POINTS, VAL_TASKS, paired_gap, sine_tasks
from mlkit.recipes import build
from mlkit.train import History, train

QUICK_ITERATIONS = 1000  # meta-iterations of each quick-mode run
FULL_ITERATIONS = 60_000  # the thesis code's runs (Table 6.2)
ALPHAS = (1e-4, 10.0)  # the two ends of Table 6.2's range
METHODS = ("maml", "tnet")


def train_pair(alpha: float, shots: int = 10, iterations: int = QUICK_ITERATIONS, seed: int = 0,
               progress: bool = True) -> dict[str, tuple[MetaLearner, History]]:
    """MAML and a T-net (Lee 2018, Algorithm 1) meta-trained with inner step ``alpha``: {method: (model, history)}.

    Same initial weights W (``seed``), same training tasks (``seed``), validated every tenth of the run on the same
    ``VAL_TASKS`` tasks (``seed + 1``) after one step with ``alpha``. A run whose loss stops being finite stops
    there (``history.diverged_at``) and keeps its last weights.
    """
    alpha = check_positive("alpha", alpha)
    iterations = check_int("iterations", iterations, VAL_POINTS)
    pair = {}
    for method in METHODS:
        tasks = sine_tasks(shots, seed, META_BATCH)
        meta = build(method, tasks, seed=seed, alpha=alpha)
        history = train(meta, tasks, iterations, val_sampler=sine_tasks(shots, seed + 1),
                        val_every=iterations // VAL_POINTS, val_tasks=VAL_TASKS, device="cpu", seed=seed,
                        log_every=max(1, iterations // 100), progress=progress)
        pair[method] = (meta, history)
    return pair


def held_out_score(meta: MetaLearner, steps: int = 1, shots: int = 10, seed: int = 0,
                   n_tasks: int = TEST_TASKS) -> Score | None:
    """Query MSE after ``steps`` steps with the model's own α on ``n_tasks`` held-out tasks (``seed + 2``, the same
    tasks on every call); None when the adaptation gives non-finite predictions (diverged)."""
    try:
        return evaluate(meta, sine_tasks(shots, seed + 2, meta_batch=100), n_tasks=n_tasks, steps=steps)
    except Diverged:
        return None


def effective_steps(meta: MetaLearner, alpha: float) -> dict[str, dict[str, float]]:
    """{layer's T: {"min", "mean", "max"} of α·λ over the eigenvalues λ of TᵀT}: the effective steps of eq. 4.3
    (``mlkit.experiments.step_size.metric_spectrum`` times α). MAML's would all be α."""
    return {name: {k: alpha * v for k, v in spectrum.items()} for name, spectrum in metric_spectrum(meta).items()}


def robustness_table(runs: Mapping[float, Mapping[str, tuple[MetaLearner, History]]], shots: int = 10, seed: int = 0,
                     n_tasks: int = TEST_TASKS) -> dict[float, dict[str, Score | None]]:
    """{α: scores} for every trained pair, all on the same held-out tasks: ``"maml"`` and ``"tnet"`` after one step
    with their α, ``"tnet, no step"`` (the T-net's initialisation itself), and ``"maml − tnet"``, MAML's error minus
    the T-net's paired by task (``paired_gap``; None when MAML's adaptation diverged, where the T-net wins)."""
    table = {}
    for alpha, pair in runs.items():
        row = {method: held_out_score(meta, 1, shots, seed, n_tasks) for method, (meta, _) in pair.items()}
        row["tnet, no step"] = held_out_score(pair["tnet"][0], 0, shots, seed, n_tasks)
        maml, tnet = row["maml"], row["tnet"]
        row["maml − tnet"] = paired_gap(maml, tnet) if maml is not None and tnet is not None else None
        table[alpha] = row
    return table


def train_pairs(alphas: Sequence[float] = ALPHAS, shots: int = 10, iterations: int = QUICK_ITERATIONS, seed: int = 0,
                progress: bool = True) -> dict[float, dict[str, tuple[MetaLearner, History]]]:
    """``train_pair`` for every α of ``alphas``: {α: {method: (model, history)}}."""
    return {alpha: train_pair(alpha, shots, iterations, seed, progress) for alpha in alphas}
