"""mlkit/experiments/regression_runs.py: cached, seeded runs and scores that never report NaN."""
import json

import torch

from mlkit.experiments.regression_runs import RunSpec, ensure_runs, load_run, score, steps_curve


def test_runs_are_cached_seeded_and_summarised(tmp_path):
    spec = RunSpec("maml", iterations=5, seed=3)
    first = ensure_runs([spec], tmp_path / "a")[spec]
    assert first["diverged_at"] is None and first["spec"]["iterations"] == 5
    stamp = (tmp_path / "a" / f"{spec.key}.final.pt").stat().st_mtime_ns
    assert ensure_runs([spec], tmp_path / "a")[spec] == first  # read back, not retrained
    assert (tmp_path / "a" / f"{spec.key}.final.pt").stat().st_mtime_ns == stamp
    ensure_runs([spec], tmp_path / "b")  # same spec elsewhere: same weights (the seed fixes the initialisation)
    a, b = load_run(spec, tmp_path / "a"), load_run(spec, tmp_path / "b")
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(p, q), name


def test_divergent_step_size_is_reported_not_nan(tmp_path):
    spec = RunSpec("maml", alpha=1e30, iterations=3)
    summary = ensure_runs([spec], tmp_path)[spec]
    assert summary["diverged_at"] == 1
    json.loads((tmp_path / f"{spec.key}.json").read_text())  # valid JSON, no NaN
    result = score(load_run(spec, tmp_path), spec, k_shot=10, n_tasks=10)
    assert result == {"mean": None, "ci95": None, "n": 10, "note": "diverged"}


def test_steps_curve_starts_at_the_unadapted_model(tmp_path):
    spec = RunSpec("maml", iterations=2)
    ensure_runs([spec], tmp_path)
    meta = load_run(spec, tmp_path)
    curve = steps_curve(meta, spec, k_shot=5, n_tasks=20, max_steps=2)
    assert len(curve) == 3
    assert curve[0]["mean"] == score(meta, spec, k_shot=5, n_tasks=20, steps=0)["mean"]
