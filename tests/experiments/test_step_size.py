"""mlkit/experiments/step_size.py (thesis Table 6.2): a diverging α is reported, never NaN; T's spectrum is recorded."""
import json

from mlkit.experiments import experiments
from mlkit.experiments.step_size import PAPER, reproduce_step_size


def test_diverging_step_size_reads_diverged_and_paper_numbers_stay_beside(tmp_path):
    result = reproduce_step_size(iterations=3, alphas=(0.01, 1e30), methods=("maml", "tnet"), n_tasks=20,
                                 out_dir=tmp_path, quick=True)
    normal, huge = result["rows"]
    assert normal["paper"]["maml"] == {"mean": PAPER[0.01]["maml"][0], "ci95": PAPER[0.01]["maml"][1]}
    assert normal["diverged_at"] == {"maml": None, "tnet": None} and normal["scores"]["maml"]["mean"] > 0
    assert huge["diverged_at"] == {"maml": 1, "tnet": 1} and huge["paper"]["maml"] is None
    assert huge["scores"]["maml"]["mean"] is None
    assert set(normal["metric"]["tnet"]) == {"t0", "t1", "t2"} and "maml" not in normal["metric"]
    markdown = (tmp_path / "step-size.md").read_text()
    assert "| 1e+30 | – | diverged at step 1 | – | diverged at step 1 |" in markdown
    assert "0.71 ± 0.07" in markdown and "nan" not in markdown.lower()
    json.loads((tmp_path / "step-size.json").read_text())  # strict JSON: no NaN anywhere


def test_registered_for_the_command_line():
    assert "step-size" in experiments()
