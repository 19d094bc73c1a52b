"""Table 6.2 of Lee (2018), §6.2: how robust MAML, T-nets and MT-nets are to the inner step size α.

``python -m mlkit reproduce step-size [--quick]``. Every method is meta-trained on 10-shot sine tasks with each
α ∈ {1e-4, 1e-3, 1e-2, 1e-1, 1, 10}, everything else as in Table 6.1 (``sine_table``), and scored on 600
10-shot test tasks after one step with the same α. A run whose meta-loss or meta-gradient stops being finite
is reported as diverged (with the score of its last finite weights when that score is finite), never as NaN.

Why T matters (thesis eq. 4.3): with a cell h = x·W·T (our row-vector layout), one step on W moves the
product A = W·T by −α·∇_A L·(TᵀT). So the meta-learned TᵀT rescales (and rotates) the step: along an
eigenvector of TᵀT with eigenvalue λ the effective step is α·λ. We record the spectrum of TᵀT of each layer,
which shows how a T-net trained with a tiny α grows its T to take larger effective steps, and the reverse.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import torch

from mlkit.experiments.regression_runs import RunSpec, ensure_runs, load_run, score
from mlkit.experiments.report import QUICK_MARK, markdown_table, out_dir_flag, timing, write_result
from mlkit.meta.base import MetaLearner

NAME = "step-size"
ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
LABELS = {"maml": "MAML", "tnet": "T-net", "mtnet": "MT-net"}
# Table 6.2: 10-shot MSE ± 95% interval for each α.
PAPER = {
    10.0: {"maml": (171.92, 25.04), "tnet": (4.08, 0.30), "mtnet": (4.18, 0.30)},
    1.0: {"maml": (5.81, 0.49), "tnet": (4.15, 0.30), "mtnet": (0.61, 0.07)},
    0.1: {"maml": (1.05, 0.11), "tnet": (0.68, 0.06), "mtnet": (0.54, 0.05)},
    0.01: {"maml": (0.71, 0.07), "tnet": (0.56, 0.06), "mtnet": (0.49, 0.05)},
    0.001: {"maml": (0.82, 0.08), "tnet": (0.59, 0.06), "mtnet": (0.59, 0.06)},
    0.0001: {"maml": (2.54, 0.19), "tnet": (0.62, 0.06), "mtnet": (0.72, 0.07)},
}


def metric_spectrum(meta: MetaLearner) -> dict[str, dict[str, float]]:
    """Eigenvalues of TᵀT for every T matrix of a T-net/MT-net learner: {"t0": {"min", "mean", "max"}, ...}."""
    out = {}
    for name, t in meta.learner.named_parameters():
        if name.startswith("t") and t.dim() == 2:
            eig = torch.linalg.eigvalsh(t.detach().double().T @ t.detach().double())  # [out], ascending
            out[name] = {"min": eig[0].item(), "mean": eig.mean().item(), "max": eig[-1].item()}
    return out


def reproduce_step_size(
    *, iterations: int = 60_000, alphas: Sequence[float] = ALPHAS, methods: Sequence[str] = tuple(LABELS),
    n_tasks: int = 600, seed: int = 0, jobs: int = 1, out_dir: str | Path = "results", as_json: bool = False,
    quick: bool = False,
) -> dict[str, Any]:
    """Train (or reuse) each (method, α) run, score it on 10-shot test tasks, write Table 6.2 beside the paper."""
    start = time.perf_counter()
    runs_dir = Path(out_dir) / "runs"
    specs = {(m, a): RunSpec(m, alpha=a, iterations=iterations, seed=seed) for a in alphas for m in methods}
    summaries = ensure_runs(specs.values(), runs_dir, jobs=jobs)
    rows = []
    for alpha in alphas:
        row: dict[str, Any] = {"alpha": alpha, "scores": {}, "paper": {}, "diverged_at": {}, "metric": {}}
        for method in methods:
            spec = specs[(method, alpha)]
            meta = load_run(spec, runs_dir)
            row["scores"][method] = score(meta, spec, k_shot=10, n_tasks=n_tasks)
            row["diverged_at"][method] = summaries[spec]["diverged_at"]
            paper = PAPER.get(alpha, {}).get(method)
            row["paper"][method] = {"mean": paper[0], "ci95": paper[1]} if paper else None
            if method != "maml":
                row["metric"][method] = metric_spectrum(meta)
        rows.append(row)
    result = {
        "experiment": NAME, "source": "Lee (2018) thesis, Table 6.2 (§6.2)", "quick": quick,
        "command": f"python -m mlkit reproduce {NAME}" + (" --quick" if quick else "") + out_dir_flag(out_dir),
        "settings": {"iterations": iterations, "methods": list(methods), "meta_batch": 4, "shots": 10,
                     "test_tasks": n_tasks, "test_seed": 1, "eval_steps": 1, "seed": seed},
        "rows": rows, "wall_s": round(time.perf_counter() - start, 1),
        "train_wall_s": round(sum(s["wall_s"] for s in summaries.values()), 1),
    }
    return write_result(NAME, result, to_markdown(result), out_dir, as_json)


def _ours(row: dict[str, Any], method: str) -> dict[str, Any]:
    cell, step = row["scores"][method], row["diverged_at"][method]
    if step is None:
        return cell
    if cell.get("mean") is None:
        return {"note": f"diverged at step {step}"}
    return {**cell, "mark": f" (diverged at step {step})"}


def to_markdown(result: dict[str, Any]) -> str:
    methods = result["settings"]["methods"]
    header = ["α"] + [f"{LABELS.get(m, m)} {who}" for m in methods for who in ("paper", "ours")]
    body = [[f"{row['alpha']:g}"] + [c for m in methods for c in (row["paper"][m], _ours(row, m))]
            for row in result["rows"]]
    spectra = [
        [f"{row['alpha']:g}", LABELS.get(m, m)]
        + [f"{s['mean']:.3g} [{s['min']:.3g}, {s['max']:.3g}]" for s in row["metric"][m].values()]
        for row in result["rows"] for m in methods if m in row["metric"]
    ]
    n_layers = max((len(r) - 2 for r in spectra), default=0)
    s = result["settings"]
    lines = [
        f"# Step-size robustness, thesis Table 6.2{QUICK_MARK if result['quick'] else ''}",
        "", f"Command: `{result['command']}`; {s['iterations']} meta-iterations per run; " + timing(result), "",
        markdown_table(header, body), "",
        "10-shot query MSE after one inner step with the α the model was meta-trained with, "
        f"{s['test_tasks']} test tasks (seed 1), ± 1.96·σ/√n. A run whose meta-loss or gradient stopped being "
        "finite says so; its score (if finite) is that of the last finite weights.",
    ]
    if spectra:
        lines += [
            "", "Eigenvalues of TᵀT per layer, mean [min, max] "
            "(eq. 4.3: the effective step along an eigenvector is α·λ):",
            "", markdown_table(["α", "method"] + [f"T of layer {i}" for i in range(n_layers)], spectra),
        ]
    return "\n".join(lines)


# What ``reproduce step-size`` runs: 18 trainings at the thesis code's scale (60k iterations; the α = 0.01 and
# α = 0.1 runs are those of sine-table), 1.5-3 min each on one quiet core (``--jobs N`` runs N at a time).
FULL = {"iterations": 60_000, "n_tasks": 600}
QUICK = {"iterations": 300, "n_tasks": 200}


def run(quick: bool = False, as_json: bool = False, out_dir: str = "results", jobs: int = 1) -> dict[str, Any]:
    return reproduce_step_size(**(QUICK if quick else FULL), jobs=jobs, out_dir=out_dir, as_json=as_json, quick=quick)


EXPERIMENTS = {NAME: run}
