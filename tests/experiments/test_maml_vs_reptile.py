"""The practical comparison: a tiny run has the promised structure, finite numbers, and fair settings."""
from __future__ import annotations

import json
import math

import pytest
import torch

from mlkit.experiments import experiments
from mlkit.experiments.maml_vs_reptile import NAME, build, run, sampler
from mlkit.experiments.report import load_result


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)  # run() sets one thread for itself


def test_the_three_methods_differ_only_in_their_meta_gradient():
    maml, fomaml, reptile = (build(m, "sine", 0) for m in ("maml", "fomaml", "reptile"))
    assert (maml.steps, fomaml.steps, reptile.steps) == (1, 1, 2)  # k = 2 gradient evaluations each
    assert maml.alpha == fomaml.alpha == reptile.alpha == 0.01
    assert not maml.first_order and fomaml.first_order and reptile.inner_optimizer == "sgd"
    for meta in (maml, fomaml, reptile):
        optimizer, schedule = meta.configure_optimizer(10)
        assert isinstance(optimizer, torch.optim.Adam) and schedule is None
        assert optimizer.param_groups[0]["lr"] == 1e-3
    batch, reptile_batch = sampler("sine", "train", 0, 2).sample(), sampler("sine", "train", 0, 2, reptile=True).sample()
    assert batch.x_support.shape[1] + batch.x_query.shape[1] == reptile_batch.x_support.shape[1] == 20
    assert reptile.inner_batch == 10  # two disjoint halves: the seed's batches (0) and (1)


def test_tiny_quick_run_has_the_promised_structure(tmp_path, capsys):
    assert experiments()[NAME] is run
    result = run(quick=True, out_dir=tmp_path, families=("sine",), budget_s=0.3, n_test=20, n_terms=20)
    assert "| MAML |" in capsys.readouterr().out
    saved = load_result(NAME, tmp_path)
    assert saved == json.loads(json.dumps(result))
    assert (tmp_path / f"{NAME}.md").read_text().startswith("# MAML vs first-order MAML vs Reptile")
    entry = saved["families"]["sine"]
    assert entry["metric"] == "mse" and entry["settings"]["budget_s"] == 0.3
    assert entry["terms_initial"]["A_norm"] > 0 and math.isfinite(entry["terms_initial"]["alpha_B_over_A"])
    for method in ("maml", "fomaml", "reptile"):
        r = entry["methods"][method]
        assert r["iterations"] >= 1 and r["iterations_per_s"] > 0 and r["diverged_at"] is None
        for steps in ("1", "10"):
            score = r["test"][steps]
            assert score["n"] == 20 and math.isfinite(score["mean"]) and score["mean"] > 0 and score["ci95"] > 0
        assert all(math.isfinite(x) for x in r["train_loss"])
        assert 0 <= r["terms_final"]["alpha_B_over_A"] < math.inf and -1 <= r["terms_final"]["cos_A_B"] <= 1


def test_shipped_result_covers_both_families_with_600_test_tasks():
    saved = load_result(NAME)
    assert not saved["quick"]
    for family, metric in (("sine", "mse"), ("glyphs", "accuracy")):
        entry = saved["families"][family]
        assert entry["metric"] == metric
        budget = entry["settings"]["budget_s"]
        for r in entry["methods"].values():  # the same CPU-time budget, as far as a warm-up's speed predicts it
            assert 0.7 * budget < r["train_cpu_s"] < 1.3 * budget, r["train_cpu_s"]
        for r in entry["methods"].values():
            assert r["test"]["1"]["n"] == 600 and math.isfinite(r["test"]["10"]["mean"])
