"""Figure 6.1 of Lee (2018), §6.3: the harder the task family, the more weights an MT-net chooses to update.

``python -m mlkit reproduce polynomial [--quick]``. An MT-net is meta-trained on 10-shot regression of
polynomials of order n ∈ {0, 1, 2} (ten seeds each); the fraction of weights its task learners update is
the expected mask, P(m = 1) = sigmoid(ζ) (eq. 3.7), averaged over the units of each layer (the mask is shared
by the weights of one output unit). The figure's claim is that this fraction grows with n; the experiment
checks it per seed and says so in its output, for sigmoid(ζ) and for the text's sigmoid(−ζ) (below), with the
change from one order to the next paired by seed (mean and 95% t-interval) and the seeds whose order-1 or
order-2 run collapsed (its adapted function stays a constant).

Where papers and code disagree, and what we follow:
- the thesis text defines the fraction as the mean of e^{−ζ}/(e^{−ζ}+1) = sigmoid(−ζ), the probability of NOT
  updating under eq. 3.7 (the code's "change probs" scalar has the same slip; its histograms use sigmoid(ζ)):
  we use sigmoid(ζ);
- the text draws c_i ~ U[−1, 1]; the code divides c_i by 2^i and uses x ~ U[−2, 2]: we follow the code
  (``PolynomialTasks``);
- the text says "same hyperparameters as §6.1" (α = 0.01); the code's polynomial script passes no step size,
  so its flag default α = 1e-3 applies. We run both at the paper's 60k iterations. The main table and the shipped
  models use the text's α = 0.01: with the code's α = 1e-3 the hidden layers' mask logits stay within a few
  hundredths of 0 (fractions 0.50–0.52) on 8 of 9 runs, so there is nothing to compare across orders.
"""
from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Any, Sequence

import torch

from mlkit.experiments.regression_runs import RunSpec, ensure_runs, load_run, score
from mlkit.experiments.report import QUICK_MARK, markdown_table, out_dir_flag, timing, write_result
from mlkit.meta.base import MetaLearner

NAME = "polynomial"
ORDERS = (0, 1, 2)


COLLAPSED_RANGE = 0.05  # an order-1/2 run whose adapted function spans less than this on [−2, 2] has collapsed


def adapted_range(meta: MetaLearner, spec: RunSpec, n_tasks: int = 100, seed: int = 1) -> float:
    """Mean over ``n_tasks`` test tasks of max − min of the adapted function on a grid of x ∈ [−2, 2].

    0 means the adapted function is a constant: the run adapts only its output bias, its hidden layers carry
    nothing task-specific, and their masks get no signal (a collapsed run: its fractions measure nothing).
    """
    torch.manual_seed(seed)  # the mask samples
    batch = spec.sampler(seed=seed, meta_batch=n_tasks).sample()
    grid = torch.linspace(-2.0, 2.0, 100).view(1, 100, 1).expand(n_tasks, 100, 1)  # [T, 100, 1]
    prediction = meta.adapt(batch.x_support, batch.y_support).predict(grid)  # [T, 100, 1]
    return float((prediction.amax(1) - prediction.amin(1)).mean())


def layer_fractions(meta: MetaLearner) -> dict[str, float]:
    """{layer: mean sigmoid(ζ) over its units}, from the MT-net's own ``update_fraction``."""
    return {str(k): float(v) for k, v in meta.update_fraction().items()}


def overall_fraction(fractions: dict[str, float], units: dict[str, int]) -> float:
    """Mean of sigmoid(ζ) over all logits of the network (layers weighted by their number of logits)."""
    total = sum(units[k] for k in fractions)
    return sum(fractions[k] * units[k] for k in fractions) / total


def logit_counts(meta: MetaLearner) -> dict[str, int]:
    """Number of mask logits behind each layer's fraction (its output units, or its weights for "-full")."""
    masks = meta.masks
    if masks.per_weight:
        return {key: sum(masks.logits[n].numel() for n in members) for key, members in masks.layers.items()}
    return {key: masks.logits[key].numel() for key in masks.layers}


def grows(values: Sequence[float]) -> bool:
    return all(a < b for a, b in zip(values[:-1], values[1:]))


# Student's t quantile t_{0.975, df} for df = 1..30 (beyond, the normal 1.96): the 95% interval of a mean over a few
# seeds, where the normal quantile would be too narrow.
T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def mean_interval(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and the half-width of its 95% interval, t_{0.975, n−1}·s/√n (s with n − 1); None for a single value."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, None
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    t = T_975[n - 2] if n - 1 <= len(T_975) else 1.96
    return mean, t * std / math.sqrt(n)


def growth_check(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Does ``run[key]`` grow with the order, for each seed and for the mean over seeds?

    ``steps`` holds, for each pair of consecutive orders, the change of ``run[key]`` paired by seed: its mean with
    a 95% interval over seeds and the number of seeds where it rises.
    """
    seeds = sorted({r["seed"] for r in runs})
    orders = sorted({r["order"] for r in runs})
    by = {(r["order"], r["seed"]): r[key] for r in runs}
    per_seed = {str(s): grows([by[(n, s)] for n in orders]) for s in seeds}
    mean = {str(n): sum(by[(n, s)] for s in seeds) / len(seeds) for n in orders}
    steps = []
    for low, high in zip(orders[:-1], orders[1:]):
        changes = [by[(high, s)] - by[(low, s)] for s in seeds]
        change, ci95 = mean_interval(changes)
        steps.append({"from": low, "to": high, "mean_change": change, "ci95": ci95,
                      "seeds_rising": sum(c > 0 for c in changes)})
    return {"per_seed": per_seed, "seeds_passing": sum(per_seed.values()), "mean_over_seeds": mean,
            "mean": grows(list(mean.values())), "steps": steps}


def reproduce_polynomial(
    *, iterations: int = 60_000, orders: Sequence[int] = ORDERS, seeds: Sequence[int] = (0, 1, 2),
    alphas: Sequence[float] = (1e-2,), other_seeds: Sequence[int] | None = None, method: str = "mtnet",
    n_tasks: int = 600, jobs: int = 1, out_dir: str | Path = "results", as_json: bool = False, quick: bool = False,
) -> dict[str, Any]:
    """Train (or reuse) an MT-net per (α, order, seed); report per-layer update fractions and check their growth.

    The first α of ``alphas`` is the main one, run with ``seeds`` (its seed-``seeds[0]`` models ship as
    ``poly<n>-<method>.pt``); each further α is run with ``other_seeds`` (default: ``seeds``) and gets its own
    table and checks under ``result["other_alphas"]``.
    """
    start = time.perf_counter()
    runs_dir = Path(out_dir) / "runs"
    seeds_of = {a: tuple(seeds if i == 0 or other_seeds is None else other_seeds) for i, a in enumerate(alphas)}
    specs = {(a, n, s): RunSpec(method, alpha=a, iterations=iterations, seed=s, tasks="polynomial", order=n)
             for a in alphas for n in orders for s in seeds_of[a]}
    summaries = ensure_runs(specs.values(), runs_dir, jobs=jobs)

    def runs_for(alpha: float) -> list[dict[str, Any]]:
        runs = []
        for order in orders:
            for seed in seeds_of[alpha]:
                spec = specs[(alpha, order, seed)]
                meta = load_run(spec, runs_dir)
                fractions = layer_fractions(meta)
                overall = overall_fraction(fractions, logit_counts(meta))
                runs.append({
                    "order": order, "seed": seed, "layers": fractions, "overall": overall,
                    "overall_text_formula": 1.0 - overall,  # mean of sigmoid(−ζ) over all logits
                    "test_mse": score(meta, spec, k_shot=10, n_tasks=n_tasks),
                    "adapted_range": adapted_range(meta, spec),
                    "diverged_at": summaries[spec]["diverged_at"], "train_wall_s": summaries[spec]["wall_s"],
                })
        return runs

    def checked(runs: list[dict[str, Any]]) -> dict[str, Any]:
        collapsed = sorted({r["seed"] for r in runs if r["order"] > 0 and r["adapted_range"] < COLLAPSED_RANGE})
        intact = [r for r in runs if r["seed"] not in collapsed]
        return {"runs": runs, "grows_with_order": growth_check(runs, "overall"),
                "grows_with_order_text_formula": growth_check(runs, "overall_text_formula"),
                "seeds_with_a_collapsed_run": collapsed,
                "grows_with_order_seeds_without_collapse": growth_check(intact, "overall") if intact else None}

    main_alpha = alphas[0]
    for order in orders:
        key = specs[(main_alpha, order, seeds[0])].key
        shutil.copyfile(runs_dir / f"{key}.final.pt", Path(out_dir) / f"poly{order}-{method}.pt")
    result = {
        "experiment": NAME, "source": "Lee (2018) thesis, Figure 6.1 (§6.3)", "quick": quick,
        "command": f"python -m mlkit reproduce {NAME}" + (" --quick" if quick else "") + out_dir_flag(out_dir),
        "settings": {"iterations": iterations, "method": method, "alpha": main_alpha, "alphas": list(alphas),
                     "orders": list(orders), "seeds": list(seeds), "other_seeds": list(seeds_of[alphas[-1]]),
                     "meta_batch": 4, "shots": 10, "test_tasks": n_tasks},
        **checked(runs_for(main_alpha)),
        "other_alphas": {f"{a:g}": checked(runs_for(a)) for a in alphas[1:]},
        "paper": "Figure 6.1 shows the fraction rising with the order; its values are not given in the text.",
        "wall_s": round(time.perf_counter() - start, 1),
        "train_wall_s": round(sum(s["wall_s"] for s in summaries.values()), 1),
    }
    return write_result(NAME, result, to_markdown(result), out_dir, as_json)


def _table(runs: list[dict[str, Any]]) -> str:
    layers = list(runs[0]["layers"])
    header = ["order", "seed"] + [f"{k}: sigmoid(ζ)" for k in layers] + ["all: sigmoid(ζ)", "all: sigmoid(−ζ)",
                                                                       "10-shot MSE", "adapted range"]
    body = [[r["order"], r["seed"]] + [f"{r['layers'][k]:.3f}" for k in layers]
            + [f"{r['overall']:.3f}", f"{r['overall_text_formula']:.3f}", r["test_mse"],
               f"{r['adapted_range']:.3f}" if "adapted_range" in r else "–"]
            for r in sorted(runs, key=lambda r: (r["order"], r["seed"]))]
    return markdown_table(header, body, digits=3)


def _checks(checked: dict[str, Any]) -> list[str]:
    lines = [_check_line("sigmoid(ζ), the fraction updated (eq. 3.7)", checked["grows_with_order"]),
             _check_line("sigmoid(−ζ), the text's formula and the code's logged scalar",
                         checked["grows_with_order_text_formula"])]
    collapsed = checked.get("seeds_with_a_collapsed_run")
    if collapsed is not None:
        n_seeds = len(checked["grows_with_order"]["per_seed"])
        lines.append(f"- Seeds with a collapsed order-1/2 run (adapted range < {COLLAPSED_RANGE}): {len(collapsed)}/"
                     f"{n_seeds} ({', '.join(map(str, collapsed)) or 'none'}).")
        intact = checked.get("grows_with_order_seeds_without_collapse")
        if intact:
            lines.append(_check_line("sigmoid(ζ), on the seeds without a collapsed run only,", intact,
                                     label="Diagnostic (not the check):"))
    return lines


def to_markdown(result: dict[str, Any]) -> str:
    s = result["settings"]
    lines = [
        f"# Task complexity and subspace dimension, thesis Figure 6.1{QUICK_MARK if result['quick'] else ''}",
        "", f"Command: `{result['command']}`; {s['method']}, α = {s['alpha']:g}, "
        f"{s['iterations']} meta-iterations per run; " + timing(result), "",
        _table(result["runs"]), "",
        "Fraction of weights updated = P(mask = 1) = sigmoid(ζ) (eq. 3.7), averaged over a layer's mask logits; "
        "\"all\" averages over every logit of the network. The thesis text defines the plotted fraction as the mean "
        "of e^{−ζ}/(e^{−ζ}+1) = sigmoid(−ζ), which is also the scalar its code logs as \"change probs\": under eq. 3.7 "
        "that is the fraction NOT updated. \"adapted range\": max − min of the adapted function over x ∈ [−2, 2], "
        "mean over 100 test tasks. Order-0 tasks are constants, so 0 is right there and the hidden layers are not "
        "needed at all; for orders 1 and 2, 0.000 marks a collapsed run whose adapted function stays a constant (only "
        "the output bias adapts, its hidden layers' masks receive no signal, and their fractions measure nothing). "
        "Both fractions are checked over every run, collapsed or not:",
        *_checks(result),
    ]
    for alpha, other in result.get("other_alphas", {}).items():
        lines += ["", f"## The same with α = {alpha}", "", _table(other["runs"]), "", *_checks(other)]
    lines += [
        "", result["paper"], "",
        "What we follow (thesis text vs code): we report sigmoid(ζ) as the fraction updated and show the text's "
        "sigmoid(−ζ) beside it; the code's coefficients c_i ~ U[−1, 1]/2^i on x ~ U[−2, 2]; the text's inner step "
        "size α = 0.01 (\"same hyperparameters as §6.1\") for the main table, and the code's (its polynomial script "
        "passes no step size, so the flag default α = 1e-3 applies) beside it when it was run.",
    ]
    return "\n".join(lines)


# What ``reproduce polynomial`` runs: 39 trainings at the paper's scale (60k iterations; 3 orders x 10 seeds for the
# text's α = 0.01, 3 orders x 3 seeds for the code's α = 1e-3), about 2 min each on one quiet core: ``--jobs N`` runs
# N at a time. Ten seeds, not the three: with three, a per-seed ordering of three noisy numbers is too weak
# a test either way (a random ordering rises with probability 1/6).
FULL = {"iterations": 60_000, "alphas": (1e-2, 1e-3), "seeds": tuple(range(10)), "other_seeds": (0, 1, 2),
        "n_tasks": 600}
QUICK = {"iterations": 500, "alphas": (1e-2,), "n_tasks": 200}


def _check_line(what: str, check: dict[str, Any], label: str = "CHECK") -> str:
    n_seeds = len(check["per_seed"])
    verdict = "PASS" if check["seeds_passing"] == n_seeds else "FAIL"
    means = ", ".join(f"order {n}: {v:.3f}" for n, v in check["mean_over_seeds"].items())
    line = (f"- {label} {what} grows with the order: {verdict} ({check['seeds_passing']}/{n_seeds} seeds; "
            f"mean over seeds {means}, {'grows' if check['mean'] else 'does not grow'})")
    steps = [f"order {st['from']} → {st['to']}: {st['mean_change']:+.3f}"
             + (f" ± {st['ci95']:.3f}" if st.get("ci95") is not None else "")
             + f", rises on {st['seeds_rising']}/{n_seeds} seeds" for st in check.get("steps", [])]
    return line + (". Change paired by seed (mean ± 95% t-interval): " + "; ".join(steps) if steps else "") + "."


def run(quick: bool = False, as_json: bool = False, out_dir: str = "results", jobs: int = 1) -> dict[str, Any]:
    return reproduce_polynomial(**(QUICK if quick else FULL), jobs=jobs, out_dir=out_dir, as_json=as_json, quick=quick)


EXPERIMENTS = {NAME: run}
