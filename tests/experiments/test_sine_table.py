"""mlkit/experiments/sine_table.py (thesis Table 6.1): a tiny run keeps the table's structure and the paper's numbers."""
import json

from mlkit.checkpoint import load_meta_learner
from mlkit.experiments import experiments
from mlkit.experiments.sine_table import PAPER, SHOTS, reproduce_sine_table


def test_table_has_paper_beside_ours_and_picks_alpha_on_validation(tmp_path, capsys):
    result = reproduce_sine_table(iterations=4, alphas=(0.01, 0.04), methods=("maml", "mtnet"), n_tasks=20,
                                  out_dir=tmp_path, quick=True)
    assert [row["method"] for row in result["rows"]] == ["maml", "mtnet"]
    for row in result["rows"]:
        validation = row["validation_mse"]
        assert set(validation) == {"0.01", "0.04"}
        assert validation[f"{row['alpha']:g}"] == min(validation.values())  # chosen on validation tasks
        for k, (mean, ci) in zip(SHOTS, PAPER[row["method"]]):
            assert row["paper"][str(k)] == {"mean": mean, "ci95": ci}
            assert row["scores"][str(k)]["n"] == 20 and row["scores"][str(k)]["mean"] > 0
        assert len(row["steps_curve_10shot"]) == 11
    markdown = (tmp_path / "sine-table.md").read_text()
    assert "| MAML | 4 |" in markdown and "1.07 ± 0.11" in markdown and "0.76 ± 0.09" in markdown
    assert "QUICK run" in markdown and "What we follow:" in markdown
    assert json.loads((tmp_path / "sine-table.json").read_text()) == result
    assert capsys.readouterr().out.strip() == markdown.strip()
    assert load_meta_learner(tmp_path / "sine-maml.pt").name == "maml"  # the model a notebook would ship


def test_registered_for_the_command_line():
    assert "sine-table" in experiments()


def test_other_training_seeds_are_scored_at_the_chosen_alpha(tmp_path):
    result = reproduce_sine_table(iterations=3, alphas=(0.01,), methods=("maml", "tnet"), n_tasks=20,
                                  out_dir=tmp_path, quick=True, spread_seeds=(1,), spread_methods=("tnet",))
    maml, tnet = result["rows"]
    assert "other_seeds" not in maml and set(tnet["other_seeds"]) == {"1"}
    assert set(tnet["other_seeds"]["1"]) == {str(k) for k in SHOTS}
    assert tnet["other_seeds"]["1"]["10"]["mean"] != tnet["scores"]["10"]["mean"]  # another training seed
    assert (tmp_path / "runs" / "sine-tnet-a0.01-it3-k10-s1.final.pt").is_file()
    markdown = (tmp_path / "sine-table.md").read_text()
    assert "trained with other seeds" in markdown and "| T-net | 0.01 | 1 |" in markdown
