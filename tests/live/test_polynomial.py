"""The claims of notebook 03 hold in quick mode, checked with the functions the notebook calls
(mlkit/live/polynomial.py) and the notebook's default parameters: one live MT-net, shared by the tests."""
from functools import lru_cache

import pytest
import torch
from notebook_parameters import parameters

from mlkit.live.polynomial import (QUICK_ITERATIONS, SURE, mask_step, masked_scores, polynomial_tasks, train_mtnet,
                                   trend_lines, with_fixed_mask)
from mlkit.live.sine import paired_gap
from mlkit.recipes import build

NOTEBOOK = parameters("03_polynomial_subspace.ipynb")


@lru_cache(maxsize=None)
def quick_run():
    meta, history = train_mtnet(NOTEBOOK["order"], NOTEBOOK["alpha"], NOTEBOOK["shots"], NOTEBOOK["iterations"],
                                NOTEBOOK["seed"], progress=False)
    return meta, history, masked_scores(meta, NOTEBOOK["order"], NOTEBOOK["shots"], NOTEBOOK["seed"])


def test_the_notebooks_quick_mode_is_the_one_documented_here():
    assert NOTEBOOK["iterations"] == QUICK_ITERATIONS and NOTEBOOK["order"] == 2 and NOTEBOOK["seed"] == 0
    assert NOTEBOOK["alpha"] == 0.01 and NOTEBOOK["shots"] == 10


def test_the_hidden_units_carry_the_adaptation():
    _, _, scores = quick_run()
    gap = paired_gap(scores["output unit only"], scores["learned masks"])
    assert gap.mean - gap.ci95 > 0, f"output unit only - learned masks = {gap}"


def test_the_learned_masks_beat_updating_every_unit():
    _, _, scores = quick_run()
    gap = paired_gap(scores["every unit"], scores["learned masks"])
    assert gap.mean - gap.ci95 > 0, f"every unit - learned masks = {gap}"


def test_the_masks_left_one_half():
    meta, _, _ = quick_run()
    assert all(abs(f - 0.5) > 0.05 for f in meta.update_fraction().values()), meta.update_fraction()
    assert all(bool((z > 0).all()) for z in meta.masks.logits.values())  # every unit now more likely on than off


@pytest.mark.parametrize("trained", [False, True])
def test_a_unit_switched_off_never_moves(trained):
    tasks = polynomial_tasks(NOTEBOOK["order"], seed=NOTEBOOK["seed"] + 3)
    meta = quick_run()[0] if trained else build("mtnet", tasks, seed=0)
    for layer, count in mask_step(meta, tasks.sample(), seed=1).items():
        assert count["moved while off"] == 0 and count["moved"] <= count["on"] <= count["units"], (layer, count)


def test_fixed_masks_switch_whole_layers():
    meta = build("mtnet", polynomial_tasks(1), seed=0)
    fixed = with_fixed_mask(meta, ["w2"])
    masks = fixed.masks.sample(3, 1.0, "hard")
    assert masks["w2"].eq(1).all() and masks["w0"].eq(0).all() and masks["b1"].eq(0).all()
    assert torch.equal(meta.masks.logits["w0"], torch.zeros(40)) and fixed.masks.logits["w2"].item() == SURE
    with pytest.raises(ValueError, match="updated must name layers among w0, w1, w2, got \\['w7'\\]"):
        with_fixed_mask(meta, ["w7"])


def test_the_temperature_reaches_the_live_mt_net():
    meta, _ = train_mtnet(1, iterations=10, seed=2, progress=False, temperature=0.3)
    assert meta.temperature == 0.3
    with pytest.raises(ValueError, match="temperature must be a finite number > 0, got 0"):
        train_mtnet(1, iterations=10, progress=False, temperature=0)


def test_trend_lines_say_what_rises_and_what_the_seeds_say():
    """What notebook 03's section 8 prints, and the reading its text gives: the mean over seeds rises, seed by seed
    it rarely does, and on every seed without a collapsed run the fraction falls from order 1 to order 2."""
    from mlkit.experiments.report import load_result

    result = load_result("polynomial")
    lines = trend_lines(result)
    assert lines[0] == "mean over seeds of the fraction updated: order 0 0.607, order 1 0.676, order 2 0.720"
    assert lines[1].startswith("rises from order 0 to 1 to 2 on 2 of 10 seeds")
    assert "order 0 → 1: +0.068 ± 0.143" in lines[2] and "order 1 → 2: +0.044 ± 0.101" in lines[2]
    assert lines[3] == "collapsed runs: order 1 6/10, order 2 1/10 (seeds 1, 2, 4, 5, 6, 7)"
    assert "order 1 → 2: -0.078 ± 0.047" in lines[4]
    clean = result["grows_with_order_seeds_without_collapse"]["steps"][1]
    assert clean["seeds_rising"] == 0 and clean["mean_change"] < 0  # "falls ... on every one of them"
    assert all(abs(s["mean_change"]) < s["ci95"] for s in result["grows_with_order"]["steps"])  # "contain 0"
