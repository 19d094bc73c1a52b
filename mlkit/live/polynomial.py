"""A live MT-net on polynomials for notebook 03 (Lee 2018, §3.2 and §6.3): what its learned update masks do.

An MT-net adapts W' = W − α M ⊙ ∇_W L (eq. 3.6), with one mask M per task whose unit j of a layer is 1 with
probability sigmoid(ζ_j) (eq. 3.7), drawn by the straight-through Gumbel-softmax (eqs. 3.8–3.9) so that ζ is
meta-learned. The tasks are ``PolynomialTasks`` (coefficients c_i ~ U[−1, 1]/2^i, x ~ U[−2, 2], as the thesis
code draws them), 10 support and 10 query points each; quick mode trains ``QUICK_ITERATIONS`` meta-iterations with
meta-batch 25 and the text's α = 0.01 (the thesis: 60 000 with meta-batch 4).

What notebook 03 shows, and ``tests/live/test_polynomial.py`` checks through these functions:

- ``mask_step``: one masked step moves only the units its mask switched on (a unit switched off keeps its
  weights exactly);
- ``trend_lines``: what the full-scale runs behind Figure 6.1 say about its claim (harder task families, a larger
  fraction of weights updated), in a few lines: the mean over seeds, the changes paired by seed, the collapsed runs;
- ``masked_scores``: after live meta-training, the units of the hidden layers carry the adaptation: adapting with
  the learned masks leaves a query error far below that of the same network adapting its output unit only (paired
  by task). A run that *collapses* (its adapted function a constant, as 6 of the 10 order-1 runs behind the shipped
  Figure 6.1 did) shows no such gap: its hidden units move nothing, and their masks get no signal to learn from.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable, Mapping

import torch

from mlkit.checks import check_int, check_positive
from mlkit.evaluate import Score, evaluate
from mlkit.experiments.polynomial import COLLAPSED_RANGE
from mlkit.meta.base import MetaLearner
from mlkit.meta.mtnet import MTNet
from mlkit.recipes import build
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.regression import PolynomialTasks
from mlkit.train import History, train

QUICK_ITERATIONS = 2000  # meta-iterations of the quick-mode run
FULL_ITERATIONS = 60_000  # the thesis code's runs
META_BATCH = 25
TEST_TASKS = 600
VAL_TASKS = 100
VAL_POINTS = 10
SURE = 30.0  # a mask logit with sigmoid(±SURE) = 1 or 0 to float precision: a unit always or never updated


def polynomial_tasks(order: int, shots: int = 10, seed: int = 0, meta_batch: int = META_BATCH) -> PolynomialTasks:
    """Polynomials of ``order`` (0, 1 or 2; thesis §6.3) with ``shots`` support and 10 query points per task."""
    return PolynomialTasks(check_int("order", order, 0, 2), k_shot=check_int("shots", shots, 1, 20),
                           meta_batch=meta_batch, seed=seed)


def train_mtnet(order: int = 2, alpha: float = 0.01, shots: int = 10, iterations: int = QUICK_ITERATIONS,
                seed: int = 0, progress: bool = True, temperature: float = 1.0) -> tuple[MTNet, History]:
    """An MT-net (Lee 2018, Algorithm 2) meta-trained on polynomials of ``order``: (model, history).

    Training tasks and initial weights from ``seed`` (every ζ starts at 0: P = ½), masks drawn with the Gumbel-softmax
    ``temperature`` c (eq. 3.9; it changes the gradient to ζ, not the probability of a mask), validation every tenth
    of the run on ``VAL_TASKS`` tasks of ``seed + 1`` after one masked step.
    """
    iterations = check_int("iterations", iterations, VAL_POINTS)
    tasks = polynomial_tasks(order, shots, seed)
    meta = build("mtnet", tasks, seed=seed, alpha=check_positive("alpha", alpha),
                 temperature=check_positive("temperature", temperature))
    assert isinstance(meta, MTNet)
    history = train(meta, tasks, iterations, val_sampler=polynomial_tasks(order, shots, seed + 1),
                    val_every=iterations // VAL_POINTS, val_tasks=VAL_TASKS, device="cpu", seed=seed,
                    log_every=max(1, iterations // 100), progress=progress)
    return meta, history


def mask_step(meta: MTNet, batch: TaskBatch, seed: int = 0) -> dict[str, dict[str, int]]:
    """One masked step (eq. 3.6) on the first task of ``batch``; per layer, how many units the sampled mask switched
    on, how many units' weights moved, and how many moved although switched off (eq. 3.6 says: none).

    A unit switched on may still not move: a ReLU unit that is silent on every support point gets no gradient.
    """
    torch.manual_seed(seed)  # the mask sample
    predictor = meta.adapt(batch.x_support[:1], batch.y_support[:1], steps=1)
    mask, adapted = predictor.extras["mask"], predictor.extras["weights"]  # {name: [1, ...]}
    theta = dict(meta.learner.named_parameters())
    counts = {}
    for key, names in meta.masks.layers.items():  # key: the layer's weight, e.g. "w1"; names: its weight and bias
        on = mask[key][0].flatten()  # [units]: the weight's mask is [1, units] (its units are its columns)
        moved = torch.zeros_like(on, dtype=torch.bool)  # [units]
        for name in names:
            change = (adapted[name][0] - theta[name].detach()).abs()  # [*shape]
            moved |= (change.movedim(meta.learner.unit_axis[name], 0).reshape(len(on), -1) > 0).any(1)
        counts[key] = {"units": len(on), "on": int(on.sum()), "moved": int(moved.sum()),
                       "moved while off": int((moved & (on == 0)).sum())}
    return counts


def with_fixed_mask(meta: MTNet, updated: Iterable[str]) -> MTNet:
    """A copy of ``meta`` whose masks are fixed: every unit of the layers in ``updated`` (keys of
    ``meta.masks.layers``, e.g. ``"w2"``) always updated, every other unit never (logits ±``SURE``; adapt it with
    ``mask_mode="hard"``)."""
    updated = set(updated)
    unknown = updated - set(meta.masks.layers)
    if unknown:
        raise ValueError(f"updated must name layers among {', '.join(meta.masks.layers)}, got {sorted(unknown)}")
    fixed = copy.deepcopy(meta)
    with torch.no_grad():
        for key, logits in fixed.masks.logits.items():
            logits.fill_(SURE if key in updated else -SURE)
    return fixed


def masked_scores(meta: MTNet, order: int, shots: int = 10, seed: int = 0,
                  n_tasks: int = TEST_TASKS) -> dict[str, Score]:
    """Query MSE after one step on the same ``n_tasks`` held-out tasks (``seed + 2``) with different masks:

    - ``"learned masks"``: a mask sampled per task from the learned ζ (as the thesis code evaluates);
    - ``"every unit"``: M = 1 everywhere (the step of a T-net, Algorithm 1);
    - ``"output unit only"``: the hidden layers frozen, only the output unit (its weights and bias) adapts;
    - ``"no update"``: the meta-learned initialisation itself.
    """
    layers = list(meta.masks.layers)
    tasks = polynomial_tasks(order, shots, seed + 2, meta_batch=100)
    settings: dict[str, tuple[MetaLearner, dict[str, Any]]] = {
        "learned masks": (meta, {"mask_mode": "sample"}),
        "every unit": (with_fixed_mask(meta, layers), {"mask_mode": "hard"}),
        "output unit only": (with_fixed_mask(meta, layers[-1:]), {"mask_mode": "hard"}),
        "no update": (meta, {"steps": 0}),
    }
    scores = {}
    for name, (model, options) in settings.items():
        torch.manual_seed(seed)  # the sampled masks
        scores[name] = evaluate(model, tasks.reseeded(), n_tasks=n_tasks, **options)
    return scores



def trend_lines(result: Mapping[str, Any]) -> list[str]:
    """Figure 6.1's claim against the shipped full-scale runs (``python -m mlkit reproduce polynomial``), as the
    notebook prints it: what rises (the mean over seeds of the fraction updated, mean sigmoid(ζ)), what the changes
    paired by seed say, how many runs collapsed, and the seeds without a collapsed run alone. Three decimals: the
    numbers come from the shipped results file, not from a live run."""
    check = result["grows_with_order"]
    means = check["mean_over_seeds"]
    orders = sorted(means, key=int)
    seeds = len(check["per_seed"])
    collapsed = result["seeds_with_a_collapsed_run"]
    by_order = {o: sum(1 for r in result["runs"] if str(r["order"]) == o and r["order"] > 0
                       and r["adapted_range"] < COLLAPSED_RANGE) for o in orders}
    clean = result["grows_with_order_seeds_without_collapse"]
    steps = "; ".join(f"order {s['from']} → {s['to']}: {s['mean_change']:+.3f} ± {s['ci95']:.3f}, rises on "
                      f"{s['seeds_rising']}/{seeds} seeds" for s in check["steps"])
    clean_steps = "; ".join(f"order {s['from']} → {s['to']}: {s['mean_change']:+.3f} ± {s['ci95']:.3f}"
                            for s in clean["steps"])
    return [
        "mean over seeds of the fraction updated: " + ", ".join(f"order {o} {means[o]:.3f}" for o in orders),
        f"rises from order 0 to 1 to 2 on {check['seeds_passing']} of {seeds} seeds (a random order of three numbers "
        "rises with probability 1/6)",
        f"change paired by seed, mean ± 95% interval: {steps}",
        f"collapsed runs: {', '.join(f'order {o} {n}/{seeds}' for o, n in by_order.items() if int(o) > 0)} "
        f"(seeds {', '.join(map(str, collapsed))})",
        f"the {len(clean['per_seed'])} seeds without a collapsed run: "
        + ", ".join(f"order {o} {clean['mean_over_seeds'][o]:.3f}" for o in orders) + f"; {clean_steps}",
    ]
