"""``python -m mlkit reproduce omniglot``: the table's pipeline end to end (quick, three rows), and its statistics."""
import json

import numpy as np
import pytest

from mlkit.experiments import experiments
from mlkit.experiments.omniglot import RECIPES, SETTINGS, paired_to_best, run


def test_quick_run_scores_every_setting_on_the_same_episodes(tmp_path, capsys):
    assert experiments()["omniglot"] is run
    result = run(quick=True, out_dir=str(tmp_path), methods=("protonet", "maml", "pixels"))
    out = capsys.readouterr().out
    assert "| Prototypical Networks |" in out and "| MAML |" in out and "| pixel nearest neighbour |" in out
    stored = json.loads((tmp_path / "omniglot.json").read_text())
    assert stored["quick"] is True and stored["columns"] == ["5w1s", "5w5s", "20w1s", "20w5s"]
    for method in ("protonet", "maml", "pixels"):
        for column in stored["columns"]:
            score = stored["scores"][method][column]
            assert len(score["episodes"]) == stored["settings"]["test_episodes"]
            assert score["mean"] == pytest.approx(np.mean(score["episodes"]))
    for column in stored["columns"]:  # every episode of a setting is drawn inside one test alphabet
        assert set(stored["episode_alphabets"][column]) <= {"Latin", "Balinese"}
    assert (tmp_path / "runs" / "omniglot-quick" / "protonet-20way.best.pt").is_file()  # way-free: one 20-way model
    assert (tmp_path / "runs" / "omniglot-quick" / "maml-5way.pt").is_file()  # per-way: one model per N
    again = run(quick=True, out_dir=str(tmp_path), methods=("protonet", "maml", "pixels"))  # scores are cached
    assert again["scores"] == result["scores"]


def test_paired_differences_are_per_episode():
    scores = {"a": {"mean": 80.0, "episodes": [80.0, 90.0, 70.0, 80.0]},
              "b": {"mean": 75.0, "episodes": [70.0, 85.0, 70.0, 75.0]}}
    best, gaps = paired_to_best(scores)
    assert best == "a" and gaps["a"]["mean"] == 0.0
    differences = np.array([-10.0, -5.0, 0.0, -5.0])
    assert gaps["b"]["mean"] == pytest.approx(differences.mean())
    assert gaps["b"]["ci95"] == pytest.approx(1.96 * differences.std() / 2)
    assert gaps["b"]["separated"] == (differences.mean() + 1.96 * differences.std() / 2 < 0)


def test_every_classification_method_has_a_recipe():
    from mlkit.meta import METHODS

    variants = {"tnet", "mnet", "mtnet-full", "mnet-full"}  # ablations of MT-nets, tested on sine (Table 6.1)
    assert {r.method for r in RECIPES} == set(METHODS) - variants
    assert len(SETTINGS) == 4


def test_ship_refuses_a_quick_run_and_missing_models(tmp_path):
    with pytest.raises(ValueError, match="ship=True: a quick run"):
        run(quick=True, out_dir=str(tmp_path), methods=("protonet",), ship=True)
    with pytest.raises(ValueError, match="ship=True needs the shipped models' methods"):
        run(out_dir=str(tmp_path), methods=("protonet",), ship=True)


def test_shipped_table_supports_what_notebook_07_says_about_it():
    """Notebook 07's reading of the shipped table: Prototypical Networks best of the four metric learners in every
    column with the others' paired intervals below zero; Relation Networks worse at 5 shots than at 1; 20-way 1-shot
    accuracy on Latin at least twice that on Balinese."""
    from mlkit.live.metric import TRAINED, load_benchmark, metric_comparison

    result = load_benchmark(None)
    table = metric_comparison(result, TRAINED)
    for column in result["columns"]:
        assert table[column]["protonet"]["best"], column
        for method in TRAINED[1:]:
            row = table[column][method]
            assert row["gap"] + row["gap_ci95"] < 0, (column, method, row)
    scores = result["scores"]["relation"]
    for n_way in (5, 20):
        assert scores[f"{n_way}w5s"]["mean"] < scores[f"{n_way}w1s"]["mean"]
    for method in TRAINED:
        by_alphabet = result["by_alphabet"][method]["20w1s"]
        assert by_alphabet["Latin"] >= 2 * by_alphabet["Balinese"] - 1.0, (method, by_alphabet)


def test_assemble_only_tabulates_cached_scores_and_names_the_rest(tmp_path):
    run(quick=True, out_dir=str(tmp_path), methods=("protonet", "pixels"))
    cache = tmp_path / "runs" / "omniglot-quick" / "scores"
    (cache / "pixels-20w5s.json").unlink()  # as if that scoring had not finished
    result = run(quick=True, out_dir=str(tmp_path), assemble_only=True)
    assert set(result["scores"]) == {"protonet", "pixels"}
    assert set(result["scores"]["pixels"]) == {"5w1s", "5w5s", "20w1s"}
    assert "maml" in result["missing"] and "protonet" not in result["missing"]
    text = (tmp_path / "omniglot.md").read_text()
    assert "not run yet" in text and "Not in this table yet: MAML" in text
    assert result["incomplete"] == {"pixels": ["20w5s"]} and "pixel nearest neighbour: 20w5s not run yet" in text
    assert not (cache / "pixels-20w5s.json").exists()  # nothing was computed


def test_shipped_table_is_complete_and_says_what_the_readme_reads_from_it():
    """The shipped full run: every classification method and both method-free baselines in all four settings, and
    the README's reading of it (methods separate; Relation Networks and, at 20 ways, the LSTM meta-learner fall from
    1 to 5 shots; MANN at chance)."""
    from mlkit.experiments.report import load_result

    result = load_result("omniglot")
    assert not result["quick"] and result["missing"] == [] and result["incomplete"] == {}
    rows = {r.method for r in RECIPES} | {"pixels", "hausdorff"}
    assert set(result["scores"]) == rows
    assert all(set(result["scores"][m]) == set(result["columns"]) for m in rows)
    separated = [gap["separated"] for column in result["columns"] for method, gap in
                 result["paired_to_best"][column].items() if method != result["best"][column]]
    assert sum(separated) >= 0.9 * len(separated)  # "most paired intervals exclude zero"
    scores = result["scores"]
    for method, n_way in (("relation", 5), ("relation", 20), ("lstm-meta", 20)):
        assert scores[method][f"{n_way}w5s"]["mean"] < scores[method][f"{n_way}w1s"]["mean"], (method, n_way)
    assert scores["lstm-meta"]["5w5s"]["mean"] > scores["lstm-meta"]["5w1s"]["mean"]
    for column, n_way in (("5w1s", 5), ("20w1s", 20)):
        assert abs(scores["mann"][column]["mean"] - 100 / n_way) < 3 * scores["mann"][column]["ci95"] + 1
