"""Notebook 04's claims hold in quick mode, checked with the functions the notebook calls (mlkit/live/lstm.py) and
the notebook's own default parameters: the live run learns, and the shipped meta-learner beats both baselines on
within-alphabet test episodes, paired by episode (computed here, from the shipped checkpoints)."""
from functools import lru_cache

import pytest
from notebook_parameters import parameters

from mlkit.live.lstm import QUICK_ITERATIONS, TEST_EPISODES, build_demo, compare_with_baselines, mean_gates, train_demo
from mlkit.live.sine import paired_gap

NOTEBOOK = parameters("04_lstm_meta_learner_gates.ipynb")


@lru_cache(maxsize=None)
def live_run(shots: int, iterations: int, seed: int):
    before = mean_gates(build_demo(shots, seed), shots, seed=seed)
    return before, train_demo(build_demo(shots, seed), shots, iterations, seed, progress=False)


def test_the_notebooks_quick_mode_is_what_this_test_checks():
    assert NOTEBOOK["iterations"] == QUICK_ITERATIONS and NOTEBOOK["seed"] == 0
    assert NOTEBOOK["shots"] == 5 and NOTEBOOK["n_test"] == TEST_EPISODES


def test_the_live_meta_learner_learns_and_its_input_gates_grow():
    before, run = live_run(NOTEBOOK["shots"], NOTEBOOK["iterations"], NOTEBOOK["seed"])
    accuracy = run.history.val_metric
    assert accuracy[-1] > accuracy[0] + 0.15 and accuracy[-1] > 0.55, f"validation accuracy {accuracy}"
    after = mean_gates(run.meta, run.shots, seed=run.seed)
    assert float(before["input"].max()) < 0.03  # the initialisation of §3.3.2: a step of about 0.01
    assert float(after["input"].mean()) > 3 * float(before["input"].mean()), (before["input"], after["input"])


def test_the_shipped_meta_learner_beats_both_baselines_within_one_alphabet():
    scores = compare_with_baselines(shots=1, n_episodes=NOTEBOOK["n_test"], within_alphabet=True)
    for baseline in ("finetune", "nearest-neighbour"):
        gap = paired_gap(scores["lstm-meta"], scores[baseline])  # meta-learner minus baseline, per episode
        assert gap.mean - gap.ci95 > 0, f"lstm-meta - {baseline}: {gap}"


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="shots must be one of 1, 5, got 3"):
        build_demo(3)
    with pytest.raises(ValueError, match="iterations must be an integer >= 6"):
        train_demo(build_demo(5), iterations=2)
