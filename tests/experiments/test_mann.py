"""`python -m mlkit reproduce mann`: a tiny end-to-end run, and the shipped result behind notebook 08's prose."""
import json

from mlkit.experiments import experiments
from mlkit.experiments import mann as experiment
from mlkit.live.memory import INSTANCES
from shipped_results import shipped_result

TINY = {"mann": {5: {"warmup": 2, "steps": 2, "meta_batch": 2, "queries": 1},
                 15: {"warmup": 2, "steps": 1, "meta_batch": 1, "queries": 1}},
        "metanet": {5: 2, 20: 1}, "metanet_meta_batch": 1, "metanet_hidden": 4,
        "val_every": 2, "val_episodes": 2, "test_episodes": 4, "metanet_test_episodes": 4}


def test_tiny_quick_run_writes_the_tables(tmp_path, monkeypatch, capsys):
    assert experiments()["mann"] is experiment.run
    monkeypatch.setattr(experiment, "QUICK", TINY)
    result = experiment.run(quick=True, out_dir=str(tmp_path))
    assert set(result["mann"]) == {"5", "15"} and set(result["metanet"]) == {"5", "20"}
    for scores in result["mann"].values():
        assert set(scores) == {"instances", "control", "gap"}
        assert all(0 <= scores["instances"][str(i)]["mean"] <= 100 for i in INSTANCES)
    assert json.loads((tmp_path / "mann.json").read_text())["mann"] == result["mann"]
    table = (tmp_path / "mann.md").read_text()
    assert "QUICK run" in table and "| MANN (paper), 5 classes | 36.4 | 82.8 | 91.0 | 92.6 | 94.9 | 98.1 |" in table
    assert "| 5-way 1-shot |" in table and "98.95" in table and "97.00" in table
    assert "five-character string labels" in table and "MANN, 5 classes (ours)" in capsys.readouterr().out
    assert (tmp_path / "runs" / "mann-quick" / "mann-15way.pt").is_file()


def test_shipped_result_is_full_scale_and_quotes_the_papers():
    result = shipped_result("mann")
    assert not result["quick"] and result["settings"]["test_episodes"] == 500
    assert result["paper_mann"]["MANN (paper)"]["1"] == 36.4 and result["paper_mann"]["MANN (paper)"]["2"] == 82.8
    assert result["paper_mann"]["MANN (paper)"]["10"] == 98.1
    assert result["paper_metanet"] == {"5": 98.95, "20": 97.0}


def test_shipped_mann_shows_the_jump_and_beats_its_control():
    """Notebook 08, section 8 and the lesson: a guess at the first image, a jump at the second, and from the second
    image on the memory of images is worth more than the label sequence (paired intervals above zero)."""
    five = shipped_result("mann")["mann"]["5"]
    assert five["instances"]["2"]["mean"] - five["instances"]["1"]["mean"] > 20
    for i in ("2", "3", "4", "5", "10"):
        gap = five["gap"][i]
        assert gap["mean"] - gap["ci95"] > 0, (i, gap)
    assert abs(five["gap"]["1"]["mean"]) < 10


def test_the_numbers_quoted_in_notebook_08_are_the_shipped_ones():
    """Section 8's prose quotes these (rounded as printed); a new result file must come with new prose."""
    result = shipped_result("mann")
    five, fifteen = result["mann"]["5"], result["mann"]["15"]
    assert round(five["instances"]["1"]["mean"], 1) == 11.6 and round(five["instances"]["2"]["mean"], 1) == 61.1
    assert all(55 <= five["instances"][i]["mean"] <= 65 for i in ("2", "3", "4", "5", "10"))  # "stays near 60 %"
    gaps = [five["gap"][i]["mean"] for i in ("2", "3", "4", "5", "10")]
    assert 30 <= min(gaps) and max(gaps) < 39.5  # "30 to 39 points"
    assert all(abs(g["mean"]) <= g["ci95"] for g in fifteen["gap"].values())  # "equals the control"
    assert round(result["metanet"]["5"]["mean"], 1) == 90.0 and round(result["metanet"]["20"]["mean"], 1) == 64.8
