"""The claims of notebooks 00 and 01 hold in quick mode, checked with the functions the notebooks call
(mlkit/live/sine.py) and the notebooks' own default parameters: one live training of each model, shared."""
from functools import lru_cache

import pytest
from notebook_parameters import parameters

from mlkit.live.sine import QUICK_ITERATIONS, build_sine, maml_against_baseline, paired_gap, train_sine


@lru_cache(maxsize=None)
def quick_runs(shots: int, iterations: int, seed: int):
    baseline = train_sine(build_sine("finetune", shots=shots, seed=seed), shots, iterations, seed, progress=False)
    maml = train_sine(build_sine("maml", shots=shots, alpha=0.01, seed=seed), shots, iterations, seed, progress=False)
    return maml, baseline, maml_against_baseline(maml, baseline)


def test_the_notebooks_quick_mode_is_what_this_test_trains():
    welcome, sine = parameters("00_welcome.ipynb"), parameters("01_sine_regression.ipynb")
    assert welcome["iterations"] == sine["iterations"] == QUICK_ITERATIONS
    assert welcome["seed"] == sine["seed"] == 0
    assert welcome["shots"] == sine["shots"] == 10 and welcome["alpha"] == sine["alpha"] == 0.01


def test_00_one_maml_step_beats_ten_fine_tuning_steps_of_the_baseline():
    _, _, scores = quick_runs(10, QUICK_ITERATIONS, 0)
    gap = paired_gap(scores["baseline, 10 steps"], scores["MAML, 1 step"])
    assert gap.mean - gap.ci95 > 0, f"baseline(10 steps) - MAML(1 step) = {gap}"


def test_01_after_one_step_the_live_maml_beats_the_baseline_trained_on_all_tasks():
    _, _, scores = quick_runs(10, QUICK_ITERATIONS, 0)
    gap = paired_gap(scores["baseline, 1 step"], scores["MAML, 1 step"])
    assert gap.mean - gap.ci95 > 0, f"baseline(1 step) - MAML(1 step) = {gap}"


def test_maml_learned_during_the_run_and_the_baseline_step_was_chosen_on_validation_tasks():
    maml, baseline, _ = quick_runs(10, QUICK_ITERATIONS, 0)
    first, last = maml.history.val_metric[0], maml.history.val_metric[-1]
    assert last < 0.6 * first, f"MAML's validation MSE went from {first} to {last}"
    assert baseline.meta.lr in (0.003, 0.01, 0.03)


def test_same_seed_same_numbers_and_bad_input_is_named():
    a = train_sine(build_sine("maml", seed=3), iterations=20, seed=3, progress=False)
    b = train_sine(build_sine("maml", seed=3), iterations=20, seed=3, progress=False)
    assert a.history.train_loss == b.history.train_loss
    with pytest.raises(ValueError, match="method must be one of 'maml', 'finetune', got 'tnet'"):
        build_sine("tnet")
    with pytest.raises(ValueError, match="shots must be an integer >= 1 and <= 20, got 0"):
        build_sine("maml", shots=0)
    with pytest.raises(ValueError, match="iterations must be an integer >= 10"):
        train_sine(build_sine("maml"), iterations=5)


def test_00_what_the_explorer_suggests_trying():
    """Notebook 00's explorer text: from K = 3 points one MAML step fits better than one baseline step; α = 0.1
    overshoots (worse than α = 0.01 for both); α = 1 with ten steps diverges."""
    import math

    import matplotlib

    matplotlib.use("Agg")
    from mlkit.widgets.sine import show_live_adaptation

    maml, baseline, _ = quick_runs(10, QUICK_ITERATIONS, 0)
    models = {"maml": maml.meta, "finetune": baseline.meta}
    few = show_live_adaptation(models, alpha=0.01, shots=3, steps=1)
    assert few["maml"] < few["finetune"]
    small, large = (show_live_adaptation(models, alpha=a, shots=10, steps=1) for a in (0.01, 0.1))
    assert all(large[m] > small[m] for m in models)
    assert not any(math.isfinite(v) for v in show_live_adaptation(models, alpha=1.0, shots=10, steps=10).values())
