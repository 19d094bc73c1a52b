"""``python -m mlkit reproduce lstm-omniglot --quick``: a tiny run on the shipped Omniglot subsets, end to end."""
import json

from mlkit.experiments import experiments
import pytest

from mlkit.experiments.lstm_omniglot import LABELS, paired_gap, run


def test_quick_run_writes_the_table_and_caches_each_shot(tmp_path, capsys):
    assert experiments()["lstm-omniglot"] is run
    result = run(quick=True, out_dir=str(tmp_path), shots=(1,))
    assert "| Meta-learner LSTM |" in capsys.readouterr().out
    stored = json.loads((tmp_path / "lstm-omniglot.json").read_text())
    assert stored["data"] == "omniglot" and stored["quick"] is True
    scores = stored["accuracy_percent"]
    assert set(LABELS) - {"maml"} <= set(scores)
    for method, by_shot in scores.items():
        assert 0.0 <= by_shot["1"]["mean"] <= 100.0 and by_shot["1"]["ci95"] >= 0.0
    assert stored["ordering_holds"]["1"] == all(
        scores["lstm-meta"]["1"]["mean"] > scores[b]["1"]["mean"] for b in ("finetune", "nearest-neighbour"))
    gates = stored["per_shot"]["1"]["gates"]
    assert list(gates) == [f"layer {k}" for k in range(1, 6)]
    assert all(0.9 < g["forget_mean"] < 1.0 for g in gates.values())  # barely trained: still close to the init
    search = stored["per_shot"]["1"]["finetune_search"]
    assert len(search["grid"]) == 4 and search["lr"] in {row["lr"] for row in search["grid"]}
    episodes = stored["per_shot"]["1"]["episode_accuracy"]
    assert len(episodes["lstm-meta"]) == stored["settings"]["test_episodes"]  # one accuracy per common test episode
    gap = stored["paired_gaps_percent"]["finetune"]["1"]
    mean_difference = sum(a - b for a, b in zip(episodes["lstm-meta"], episodes["finetune"])) / len(episodes["finetune"])
    assert gap["mean"] == pytest.approx(100 * mean_difference)
    assert "paired by test episode" in (tmp_path / "lstm-omniglot.md").read_text()
    again = run(quick=True, out_dir=str(tmp_path), shots=(1,))  # cached: the same numbers, no retraining
    assert again["accuracy_percent"] == result["accuracy_percent"]


def test_paired_gap_is_the_interval_of_per_episode_differences():
    result = {"episode_accuracy": {"a": [1.0, 0.8, 0.6, 1.0], "b": [0.8, 0.8, 0.4, 0.8]}}
    gap = paired_gap(result, "a", "b")  # differences 20, 0, 20, 20 points: mean 15, population σ = 75**0.5
    assert gap["mean"] == pytest.approx(15.0) and gap["ci95"] == pytest.approx(1.96 * 75**0.5 / 2)
    assert paired_gap({"scores": {}}, "a", "b") is None  # a result cached before per-episode accuracies were kept
