"""MAML vs first-order MAML vs Reptile in practice: same tasks, same α, same k, same time budget.

``python -m mlkit reproduce maml-vs-reptile [--quick] [--json]``. Nichol, Achiam & Schulman (2018, §5.1; Weng 2018, "Reptile vs FOMAML") predict, to
first order in α and for k = 2 gradient evaluations per task (``mlkit.analysis.expansion``),

    E[g_FOMAML] = A − αB,    E[g_MAML] = A − 2αB,    E[g_Reptile] = 2A − αB,

so per unit of A (the joint-training direction) MAML weighs B (the within-task generalisation direction) 2α,
first-order MAML α and Reptile α/2. Our protocol makes the three runs differ in the meta-gradient only:

- every task gives each method the same number of points and two gradient evaluations: MAML/FOMAML take one inner
  step on the support set (batch 0) and differentiate on the query set (batch 1); Reptile gets support ∪ query as
  its support set and takes two plain-SGD steps on two disjoint halves of it (``inner_batch``), the expansion's batches
  (0) and (1);
- one α per family, and Adam(``META_LR``) as the outer optimiser for all three (Reptile's ``meta_loss`` gradient
  θ − θ' = α·g_Reptile goes to Adam instead of its annealed SGD step; with Adam the overall scale of a
  meta-gradient does not matter, its direction does);
- the same time budget, counted in CPU seconds of this single-threaded process (``time.process_time``): on a
  shared machine wall-clock time depends on everybody else's jobs, on an idle core the two agree; iterations =
  budget × speed measured on a throwaway copy during a short warm-up;
- the same test protocol: 600 new test tasks, plain SGD from the learned θ on the support set (1 and 10 steps of
  α), query MSE or accuracy with a 95% interval;
- A and B (expectations over fresh training tasks, ``expectations``) measured at the initial and the final θ of
  each run, to read what the expansion predicts: α‖B‖/‖A‖ says how much the B term can matter at all.
Speeds depend on the machine: the table reports the measured meta-iterations per CPU second, and the JSON the
wall-clock seconds too.
"""
from __future__ import annotations

import copy
import functools
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from mlkit.analysis.expansion import METHODS, expectations, split_batches
from mlkit.checks import check_positive
from mlkit.evaluate import evaluate
from mlkit.experiments.report import format_score, markdown_table, write_result
from mlkit.meta import FOMAML, MAML, Reptile
from mlkit.meta.base import MetaLearner
from mlkit.recipes import learner_for
from mlkit.tasks import EpisodeSampler, SineTasks, make_dataset
from mlkit.train import train

NAME = "maml-vs-reptile"
LABELS = {"maml": "MAML", "fomaml": "first-order MAML", "reptile": "Reptile"}
META_LR = 1e-3
FAMILIES: dict[str, dict[str, Any]] = {
    # support/query per task (per class for glyphs); Reptile sees support + query as two inner mini-batches
    "sine": {"tasks": "sine", "k_shot": 10, "q_query": 10, "n_way": 1, "alpha": 0.01, "meta_batch": 25},
    "glyphs": {"tasks": "glyphs", "k_shot": 1, "q_query": 1, "n_way": 5, "alpha": 0.4, "meta_batch": 8},
}
BUDGET_S = {"sine": 40.0, "glyphs": 60.0}  # CPU seconds per method, full mode
QUICK_BUDGET_S = {"sine": 4.0, "glyphs": 6.0}
EVAL_STEPS = (1, 10)


@functools.lru_cache(maxsize=None)
def _dataset(name: str, split: str):
    return make_dataset(name, split=split)  # drawn once per process (the glyph alphabet takes seconds)


def sampler(family: str, split: str, seed: int, meta_batch: int, reptile: bool = False):
    """The family's task sampler; Reptile's support set is support ∪ query of the others' tasks."""
    f = FAMILIES[family]
    k_shot, q_query = (f["k_shot"] + f["q_query"], 1) if reptile else (f["k_shot"], f["q_query"])
    if family == "sine":
        return SineTasks("thesis", k_shot=k_shot, q_query=q_query, meta_batch=meta_batch, seed=seed)
    return EpisodeSampler(_dataset(f["tasks"], split), f["n_way"], k_shot, q_query, meta_batch, seed)


def build(method: str, family: str, seed: int) -> MetaLearner:
    """A fresh meta-learner of ``method`` with the family's learner, α and k = 2, and Adam(META_LR) outside."""
    f = FAMILIES[family]
    torch.manual_seed(seed)
    learner = learner_for(sampler(family, "train", seed, 1))
    task_type = "regression" if family == "sine" else "classification"
    if method == "reptile":
        half = f["k_shot"] * f["n_way"]  # points of one mini-batch: the size of the others' support set
        meta = Reptile(learner, task_type, META_LR, steps=2, alpha=f["alpha"], inner_optimizer="sgd", inner_batch=half,
                       outer_optimizer="adam")
        return meta
    cls = MAML if method == "maml" else FOMAML
    return cls(learner, task_type, META_LR, steps=1, alpha=f["alpha"])


def measure_terms(meta: MetaLearner, family: str, n_tasks: int, seed: int) -> dict[str, float]:
    """‖A‖, ‖B‖, α‖B‖/‖A‖ and cos(A, B) at the current θ, over ``n_tasks`` fresh training tasks (k = 2)."""
    f = FAMILIES[family]
    tasks = sampler(family, "train", seed + 50_000, 1)
    found = expectations(meta.learner, meta.task_type, lambda n: split_batches(tasks.sample(n), 2), f["alpha"],
                         n_tasks=n_tasks, chunk=min(n_tasks, 100 if family == "sine" else 25),
                         pilot=min(n_tasks, 50), k=2)
    a, b = found.A.mean, found.B.mean
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return {
        "A_norm": norm_a, "A_se_norm": float(np.linalg.norm(found.A.se)), "B_norm": norm_b,
        "B_se_norm": float(np.linalg.norm(found.B.se)), "alpha_B_over_A": f["alpha"] * norm_b / norm_a,
        "cos_A_B": float(a @ b / (norm_a * norm_b)), "n_tasks": n_tasks,
    }


def speed(meta: MetaLearner, tasks, budget_s: float, seed: int) -> float:
    """Meta-iterations per CPU second, measured on throwaway copies for about 5 % of the budget."""
    rate = 1.0
    for warm in (2, None):  # two iterations to gauge, then about 5 % of the budget
        n = warm or max(2, int(0.05 * budget_s * rate))
        probe, probe_tasks = copy.deepcopy(meta), copy.deepcopy(tasks)
        start = time.process_time()
        train(probe, probe_tasks, n, progress=False, log_every=n, seed=seed)
        rate = n / max(time.process_time() - start, 1e-6)
    return rate


def run_method(method: str, family: str, budget_s: float, n_test: int, n_terms: int, seed: int) -> dict[str, Any]:
    """Train one method for ``budget_s`` CPU seconds, then score it and measure A and B at its θ."""
    f = FAMILIES[family]
    meta = build(method, family, seed)
    train_tasks = sampler(family, "train", seed, f["meta_batch"], reptile=method == "reptile")
    iterations = max(1, int(speed(meta, train_tasks, budget_s, seed) * budget_s))
    start, start_cpu = time.perf_counter(), time.process_time()
    history = train(meta, train_tasks, iterations, progress=False, log_every=max(1, iterations // 20), seed=seed)
    train_s, train_cpu_s = time.perf_counter() - start, time.process_time() - start_cpu
    scores = {}
    for steps in EVAL_STEPS:  # the same plain-SGD adaptation for every method
        tester = MAML(meta.learner, meta.task_type, steps=steps, alpha=f["alpha"])
        scores[str(steps)] = evaluate(tester, sampler(family, "test", seed + 20_000, 1), n_tasks=n_test,
                                      chunk=100 if family == "sine" else 25).as_dict()
    return {
        "iterations": iterations, "train_cpu_s": train_cpu_s, "train_wall_s": train_s,
        "iterations_per_s": iterations / train_cpu_s,
        "diverged_at": history.diverged_at, "train_loss": history.train_loss, "loss_steps": history.steps,
        "test": scores, "terms_final": measure_terms(meta, family, n_terms, seed) if n_terms else None,
    }


def run(quick: bool = False, as_json: bool = False, out_dir: str | Path = "results", *,
        families: Sequence[str] = ("sine", "glyphs"), budget_s: float | None = None, n_test: int | None = None,
        n_terms: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Train, score and analyse the three methods on each family; write ``<out_dir>/maml-vs-reptile.{json,md}``.

    ``budget_s`` (CPU seconds per method and family), ``n_test`` (test tasks) and ``n_terms`` (tasks for A and B)
    override the mode's defaults (full: 40 s sine / 60 s glyphs, 600, 500 sine / 100 glyphs;
    quick: 4 s / 6 s, 100, 100 / 25).
    """
    start = time.perf_counter()
    torch.set_num_threads(1)
    n_test = n_test or (100 if quick else 600)
    terms_default = {"sine": 100 if quick else 500, "glyphs": 25 if quick else 100}
    result: dict[str, Any] = {
        "name": NAME, "quick": quick, "seed": seed, "meta_lr": META_LR, "eval_steps": list(EVAL_STEPS),
        "command": f"python -m mlkit reproduce {NAME}" + (" --quick" if quick else ""), "families": {},
    }
    for family in families:
        budget = check_positive("budget_s", budget_s) if budget_s is not None else (
            QUICK_BUDGET_S if quick else BUDGET_S)[family]
        initial = build("maml", family, seed)
        terms = terms_default[family] if n_terms is None else n_terms
        entry: dict[str, Any] = {
            "settings": {**FAMILIES[family], "budget_s": budget, "n_test": n_test},
            "metric": "mse" if family == "sine" else "accuracy",
            "terms_initial": measure_terms(initial, family, terms, seed) if terms else None,
            "methods": {},
        }
        for method in METHODS:
            entry["methods"][method] = run_method(method, family, budget, n_test, terms, seed)
        result["families"][family] = entry
    result["wall_s"] = time.perf_counter() - start
    return write_result(NAME, result, markdown(result), out_dir, as_json)


def markdown(result: dict[str, Any]) -> str:
    """The comparison table and the A/B terms, one block per family."""
    parts = [f"# MAML vs first-order MAML vs Reptile ({'quick' if result['quick'] else 'full'} mode)",
             f"`{result['command']}`, total wall time {result['wall_s']:.0f} s elapsed."]
    for family, entry in result["families"].items():
        s = entry["settings"]
        percent = entry["metric"] == "accuracy"
        scale = lambda score: {**score, "mean": 100 * score["mean"], "ci95": 100 * score["ci95"]} if percent else score  # noqa: E731
        rows = []
        for method, r in entry["methods"].items():
            terms = r["terms_final"] or {}
            rows.append([
                LABELS[method], f"{r['train_cpu_s']:.0f}", f"{r['iterations']}", f"{r['iterations_per_s']:.1f}",
                *[format_score(scale(r["test"][str(k)]), 2 if not percent else 1) for k in result["eval_steps"]],
                f"{terms.get('alpha_B_over_A', float('nan')):.3f}",
            ])
        unit = "accuracy %" if percent else "MSE"
        header = ["method", "CPU seconds used", "meta-iterations", "iterations per CPU second",
                  *[f"test {unit}, {k} step{'s' if k > 1 else ''}" for k in result["eval_steps"]], "α‖B‖/‖A‖ at the end"]
        start = entry["terms_initial"] or {}
        parts += [f"\n## {family} (α = {s['alpha']}, budget {s['budget_s']:.0f} CPU seconds per method, {s['n_test']} test tasks)",
                  markdown_table(header, rows),
                  f"\nAt the initial θ: ‖A‖ = {start.get('A_norm', float('nan')):.3g}, ‖B‖ = "
                  f"{start.get('B_norm', float('nan')):.3g}, α‖B‖/‖A‖ = {start.get('alpha_B_over_A', float('nan')):.3f}, "
                  f"cos(A, B) = {start.get('cos_A_B', float('nan')):.2f}."]
    return "\n".join(parts)


EXPERIMENTS = {NAME: run}
