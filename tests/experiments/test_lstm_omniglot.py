"""``python -m mlkit reproduce lstm-omniglot --quick``: a tiny run on the built-in glyphs, end to end."""
import json

from mlkit.experiments import experiments
from mlkit.experiments.lstm_omniglot import LABELS, run


def test_quick_run_writes_the_table_and_caches_each_shot(tmp_path, capsys):
    assert experiments()["lstm-omniglot"] is run
    result = run(quick=True, out_dir=str(tmp_path), shots=(1,))
    assert "| Meta-learner LSTM |" in capsys.readouterr().out
    stored = json.loads((tmp_path / "lstm-omniglot.json").read_text())
    assert stored["data"] == "glyphs" and stored["quick"] is True
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
    again = run(quick=True, out_dir=str(tmp_path), shots=(1,))  # cached: the same numbers, no retraining
    assert again["accuracy_percent"] == result["accuracy_percent"]
