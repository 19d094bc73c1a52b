"""Train-and-score one regression configuration, cached on disk, for the thesis reproductions (Lee 2018, §6).

A ``RunSpec`` names everything that changes a trained model (method, task family, inner step size α,
iterations, seed...). ``ensure_runs`` trains the runs that are missing, up to ``jobs`` processes at a time,
and leaves in ``folder``:
    <key>.pt        the training checkpoint (optimiser included: a killed run resumes where it stopped),
    <key>.final.pt  the trained model alone (what is evaluated and shipped),
    <key>.json      a summary: wall time, final training loss, the step where training diverged (if it did).
A second call with the same specs only reads these files, so the experiments share runs
(the α = 0.01 runs of Table 6.2 are those of Table 6.1).

Protocol (the thesis code, yoonholee/MT-net): meta-batch 4, Adam with β = 1e-3, K = 10 support + 10 query
points, one inner step during meta-training, 600 test tasks drawn from a fixed seed, 95% interval 1.96·σ/√n.
"""
from __future__ import annotations

import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch

from mlkit.checkpoint import load_meta_learner, save_checkpoint
from mlkit.checks import Diverged, check_int
from mlkit.evaluate import evaluate
from mlkit.meta.base import MetaLearner
from mlkit.recipes import build
from mlkit.tasks import make_tasks
from mlkit.train import train

TEST_SEED = 1  # the thesis code evaluates with np.random.seed(1)
VALIDATION_SEED = 10_000  # tasks used to pick α, never the test tasks


@dataclass(frozen=True)
class RunSpec:
    """One meta-training run on a regression family (``"sine"`` or ``"polynomial"``)."""

    method: str
    alpha: float = 0.01
    iterations: int = 60_000
    seed: int = 0
    tasks: str = "sine"
    order: int = 0
    k_shot: int = 10
    meta_batch: int = 4
    meta_lr: float = 1e-3
    steps: int = 1
    options: tuple[tuple[str, Any], ...] = field(default_factory=tuple)  # extra constructor arguments

    @property
    def key(self) -> str:
        family = self.tasks if self.tasks == "sine" else f"{self.tasks}{self.order}"
        extra = "".join(f"-{k}{v}" for k, v in self.options)
        return f"{family}-{self.method}-a{self.alpha:g}-it{self.iterations}-k{self.k_shot}-s{self.seed}{extra}"

    def sampler(self, seed: int | None = None, k_shot: int | None = None, meta_batch: int | None = None):
        return make_tasks(
            self.tasks, k_shot=k_shot or self.k_shot, q_query=10, meta_batch=meta_batch or self.meta_batch,
            seed=self.seed if seed is None else seed, order=self.order,
        )


def _train_one(spec: RunSpec, folder: str, progress: bool) -> dict[str, Any]:
    """Train one run (resuming its checkpoint if any); write the final model and the summary."""
    torch.set_num_threads(1)
    folder_path = Path(folder)
    sampler = spec.sampler()
    torch.manual_seed(spec.seed)  # the initial weights (and the masks' initial logits) depend on the seed only
    meta = build(spec.method, sampler, meta_lr=spec.meta_lr, steps=spec.steps, alpha=spec.alpha, **dict(spec.options))
    start = time.perf_counter()
    history = train(
        meta, sampler, spec.iterations, checkpoint=folder_path / f"{spec.key}.pt",
        checkpoint_every=max(1, spec.iterations // 10), device="cpu", seed=spec.seed, log_every=100,
        progress=progress,
    )
    wall = time.perf_counter() - start
    save_checkpoint(folder_path / f"{spec.key}.final.pt", meta, step=spec.iterations, history=history.as_dict())
    summary = {
        "spec": asdict(spec), "wall_s": round(wall, 1), "diverged_at": history.diverged_at,
        "final_train_loss": history.train_loss[-1] if history.train_loss else None,
    }
    (folder_path / f"{spec.key}.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n")
    return summary


def ensure_runs(
    specs: Iterable[RunSpec], folder: str | Path, jobs: int = 1, progress: bool = False
) -> dict[RunSpec, dict]:
    """Summaries of every run, training the missing ones (``jobs`` processes at a time)."""
    jobs = check_int("jobs", jobs, 1)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    specs = list(dict.fromkeys(specs))
    missing = [s for s in specs if not (folder / f"{s.key}.json").is_file()]
    if jobs == 1 or len(missing) <= 1:
        for spec in missing:
            _train_one(spec, str(folder), progress)
    else:
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            list(pool.map(_train_one, missing, [str(folder)] * len(missing), [False] * len(missing)))
    return {s: json.loads((folder / f"{s.key}.json").read_text()) for s in specs}


def load_run(spec: RunSpec, folder: str | Path) -> MetaLearner:
    """The trained model of a finished run."""
    return load_meta_learner(Path(folder) / f"{spec.key}.final.pt")


def score(meta: MetaLearner, spec: RunSpec, *, k_shot: int, n_tasks: int, seed: int = TEST_SEED,
          **adapt_kwargs: Any) -> dict[str, Any]:
    """Query MSE over ``n_tasks`` fresh tasks of the run's family with ``k_shot`` support points.

    Returns ``{"mean", "ci95", "n"}``; a non-finite mean (a step size that blows up) becomes
    ``{"mean": None, "note": "diverged"}`` so that no table ever shows NaN.
    """
    torch.manual_seed(seed)  # mask samples of MT-nets at test time
    sampler = spec.sampler(seed=seed, k_shot=k_shot, meta_batch=100)
    try:
        with torch.autograd.set_grad_enabled(True), np.errstate(invalid="ignore", over="ignore"):
            result = evaluate(meta, sampler, n_tasks=n_tasks, chunk=100, **adapt_kwargs)
    except Diverged:  # some task's predictions were not finite
        return {"mean": None, "ci95": None, "n": n_tasks, "note": "diverged"}
    if not (math.isfinite(result.mean) and math.isfinite(result.ci95)):
        return {"mean": None, "ci95": None, "n": result.n, "note": "diverged"}
    return {"mean": result.mean, "ci95": result.ci95, "n": result.n}


def steps_curve(meta: MetaLearner, spec: RunSpec, *, k_shot: int, n_tasks: int, max_steps: int = 10) -> list[dict]:
    """Query MSE after 0, 1, ..., ``max_steps`` inner steps (the thesis code records the same at test time)."""
    return [score(meta, spec, k_shot=k_shot, n_tasks=n_tasks, steps=s) for s in range(max_steps + 1)]
