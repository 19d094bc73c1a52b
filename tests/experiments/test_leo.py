"""`python -m mlkit reproduce leo`: a tiny end-to-end run, and the ordering checks of seed 002's Table 2."""
import json

import pytest

from mlkit.checkpoint import load_meta_learner
from mlkit.experiments import experiments
from mlkit.experiments import leo as experiment


def rows(leo, det, rnd, maml, ci=0.01):
    return [{"method": m, "k_shot": 1, "mean": v, "ci95": ci, "n": 600}
            for m, v in zip(experiment.PAPER, (leo, det, rnd, maml))]


def test_ordering_checks_follow_the_paper_claims():
    assert experiment.ordering(rows(0.60, 0.60, 0.595, 0.55)) == {"1-shot": {
        "LEO >= deterministic": True, "deterministic ~ random prior": True,
        "random prior > MAML": True, "LEO > MAML": True}}
    flipped = experiment.ordering(rows(0.50, 0.60, 0.45, 0.55))["1-shot"]
    assert flipped == {"LEO >= deterministic": False, "deterministic ~ random prior": False,
                       "random prior > MAML": False, "LEO > MAML": False}


def test_tiny_quick_run_writes_table_json_and_checkpoints(tmp_path, monkeypatch, capsys):
    assert experiments()["leo"] is experiment.run
    monkeypatch.setenv("MLKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(experiment, "QUICK", {"pretrain_epochs": 1, "steps": 3, "test_tasks": 20, "val_every": 3,
                                              "val_tasks": 10, "jobs": 1})
    tiny = {"n_alphabets": 4, "chars_per_alphabet": 10, "fractions": (0.5, 0.25, 0.25)}  # 20 / 10 / 10 classes
    result = experiment.run(quick=True, out_dir=str(tmp_path), glyphs=tiny)
    methods = [*experiment.PAPER, experiment.BASELINE]
    assert [(r["method"], r["k_shot"]) for r in result["rows"]] == [(m, k) for k in (1, 5) for m in methods]
    for row in result["rows"]:
        assert row["n"] == 20 and 0.0 <= row["mean"] <= 1.0 and row["ci95"] >= 0.0 and row.get("diverged_at") is None
    assert json.loads((tmp_path / "leo.json").read_text())["rows"] == result["rows"]
    table = (tmp_path / "leo.md").read_text()
    assert "| LEO (random prior) |" in table and f"| {experiment.BASELINE} |" in table
    assert "60.06" in table and "quick mode" in table
    assert "| LEO |" in capsys.readouterr().out
    for k in (1, 5):
        meta = load_meta_learner(tmp_path / f"leo-{k}shot.pt")
        assert meta.name == "leo" and meta.k_shot == k and meta.feature_dim == result["feature_dim"] == 576
    assert (tmp_path / "features-glyphs.pt").is_file()
