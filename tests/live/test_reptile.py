"""Notebook 05's claims hold in quick mode, checked with the functions the notebook calls (mlkit/live/reptile.py)
and the notebook's own default parameters: the residual slopes of the expansion, one live training per method, and
what the text under the α explorer says of the shipped α sweep."""
from functools import lru_cache

import pytest
from notebook_parameters import parameters

from mlkit.live.reptile import (
    ALPHA, QUICK_ITERATIONS, SWEEP_ALPHAS, alpha_sweep, load_sweep, one_step_scores, residual_slopes, sweep,
    train_method,
)
from mlkit.live.sine import paired_gap

NOTEBOOK = parameters("05_maml_vs_reptile.ipynb")


@lru_cache(maxsize=None)
def quick_runs(iterations: int, seed: int):
    runs = {m: train_method(m, iterations, seed, progress=False) for m in ("maml", "fomaml", "reptile")}
    return runs, one_step_scores(runs)


def test_the_notebooks_quick_mode_is_what_this_test_checks():
    assert NOTEBOOK["iterations"] == QUICK_ITERATIONS and NOTEBOOK["seed"] == 0
    assert NOTEBOOK["alpha"] == ALPHA and NOTEBOOK["k"] == 2 and NOTEBOOK["train_steps"] == 50
    shipped = load_sweep()
    assert (shipped["iterations"], shipped["seed"], tuple(shipped["alphas"])) == (QUICK_ITERATIONS, 0, SWEEP_ALPHAS)
    assert sweep(NOTEBOOK["iterations"], NOTEBOOK["seed"]) == shipped  # quick mode reads it, trains nothing


@pytest.mark.parametrize("k", [2, 3])
def test_the_fitted_residual_slope_is_two_for_every_method(k):
    _, found, slopes = residual_slopes(k, NOTEBOOK["train_steps"], NOTEBOOK["seed"])
    for method, slope in slopes.items():
        assert 1.9 <= slope <= 2.1, f"k = {k}, {method}: slope {slope:.3f}, residuals {found[method]}"


def test_after_the_same_iterations_maml_beats_first_order_maml_beats_reptile():
    runs, scores = quick_runs(QUICK_ITERATIONS, 0)
    for worse, better in (("fomaml", "maml"), ("reptile", "fomaml")):
        gap = paired_gap(scores[worse], scores[better])
        assert gap.mean - gap.ci95 > 0, f"{worse} - {better}, one step each, paired by task: {gap}"
    for run in runs.values():  # every run learned: its validation error fell
        assert run.history.val_metric[-1] < 0.9 * run.history.val_metric[0], (run.method, run.history.val_metric)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="method must be one of 'maml', 'fomaml', 'reptile', got 'tnet'"):
        train_method("tnet")
    with pytest.raises(ValueError, match="k must be an integer >= 2 and <= 5, got 1"):
        residual_slopes(1)
    with pytest.raises(ValueError, match="iterations must be an integer >= 10"):
        train_method("maml", iterations=5)


def test_the_shipped_sweep_is_what_the_text_under_the_explorer_says():
    runs, gaps = load_sweep()["runs"], load_sweep()["gaps"]
    tests = {a: {m: runs[a][m]["test"] for m in ("maml", "fomaml", "reptile")} for a in runs}
    # α = 0.001: all three stall together, near the best single curve for all tasks (about 3.1)
    low = tests["0.001"]
    assert max(t["mean"] for t in low.values()) - min(t["mean"] for t in low.values()) < min(
        t["ci95"] for t in low.values()) and all(t["mean"] > 2.9 for t in low.values())
    # α = 0.01 and 0.03: MAML below first-order MAML below Reptile, paired by task
    for a in ("0.01", "0.03"):
        for pair in ("fomaml-maml", "reptile-fomaml"):
            assert gaps[a][pair]["mean"] - gaps[a][pair]["ci95"] > 0, (a, pair, gaps[a][pair])
    # the curves drop below the plateau earlier as α grows (first validation point under 3)
    first_under = {a: next((s for s, v in zip(runs[a]["maml"]["val_steps"], runs[a]["maml"]["val_metric"])
                            if v < 3.0), None) for a in ("0.01", "0.03")}
    assert first_under["0.03"] < first_under["0.01"]
    # α = 0.003: Reptile drops first; α = 0.1: first-order MAML's error climbs back late in training
    assert gaps["0.003"]["reptile-fomaml"]["mean"] + gaps["0.003"]["reptile-fomaml"]["ci95"] < 0
    fomaml = runs["0.1"]["fomaml"]["val_metric"]
    assert fomaml[-1] > 1.5 * min(fomaml) and gaps["0.1"]["fomaml-maml"]["mean"] > 1


def test_the_inner_step_size_of_a_run_is_the_one_asked_for():
    run = train_method("reptile", 10, 0, progress=False, alpha=0.03)
    assert run.meta.alpha == 0.03 and run.meta.hparams["alpha"] == 0.03
    small = alpha_sweep(10, 0, alphas=(0.01,), n_tasks=20, progress=False)
    assert set(small["runs"]["0.01"]) == {"maml", "fomaml", "reptile"} and small["runs"]["0.01"]["maml"]["test"]["n"] == 20
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        train_method("maml", 10, alpha=0.0)
