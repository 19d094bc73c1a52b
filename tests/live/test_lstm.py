"""Notebook 04's claims hold in quick mode, checked with the functions the notebook calls and the notebook's own
default parameters: the student's meta-learner (a correct one: the checks' references) and mlkit's train to the same numbers,
mlkit's learns (its validation accuracy rises and its input gates grow from the initial step of about 0.01), and the
shipped meta-learner beats both baselines on within-alphabet test episodes, paired by episode (computed here, from
the shipped checkpoints)."""
from functools import lru_cache

import pytest
from notebook_parameters import parameters

from mlkit.exercises.lstm import race_lstm, reference_cell_step
from mlkit.live.lstm import QUICK_ITERATIONS, TEST_EPISODES, build_demo, compare_with_baselines, mean_gates
from mlkit.live.sine import paired_gap
from mlkit.meta.lstm_meta import preprocess

NOTEBOOK = parameters("04_lstm_meta_learner_gates.ipynb")


def cell_step(h, c, grad, f_prev, i_prev, gate):
    """A correct student's cell step: the checks' reference (``GateCell``'s arithmetic)."""
    return reference_cell_step(h, c, grad, f_prev, i_prev, gate)


@lru_cache(maxsize=None)
def live_race(shots: int, iterations: int, seed: int):
    before = mean_gates(build_demo(shots, seed), shots, seed=seed)
    race, meta = race_lstm(preprocess, cell_step, shots=shots, iterations=iterations, seed=seed, progress=False)
    return before, race, mean_gates(meta, shots, seed=seed)


def test_the_notebooks_quick_mode_is_what_this_test_checks():
    assert NOTEBOOK["iterations"] == QUICK_ITERATIONS and NOTEBOOK["seed"] == 0
    assert NOTEBOOK["shots"] == 5 and NOTEBOOK["n_test"] == TEST_EPISODES


def test_the_race_agrees_and_the_meta_learner_learns_and_its_input_gates_grow():
    before, race, after = live_race(NOTEBOOK["shots"], NOTEBOOK["iterations"], NOTEBOOK["seed"])
    assert race.agree() and race.largest_difference < 1e-9, race.largest_difference  # float64: far inside 1e-4
    first, last = sum(race.mlkit[:10]) / 10, sum(race.mlkit[-10:]) / 10
    assert last < first - 0.3, (first, last)  # the training loss falls
    assert float(after["accuracy"].mean()) > float(before["accuracy"].mean()) + 0.1, (before, after)
    assert float(before["input"].max()) < 0.03  # the initialisation of §3.3.2: a step of about 0.01
    assert float(after["input"].mean()) > 5 * float(before["input"].mean()), (before["input"], after["input"])
    assert float(after["forget"].mean()) > 0.99  # "the forget gates stay near 1"


def test_the_shipped_meta_learner_beats_both_baselines_within_one_alphabet():
    scores = compare_with_baselines(shots=1, n_episodes=NOTEBOOK["n_test"], within_alphabet=True)
    for baseline in ("finetune", "nearest-neighbour"):
        gap = paired_gap(scores["lstm-meta"], scores[baseline])  # meta-learner minus baseline, per episode
        assert gap.mean - gap.ci95 > 0, f"lstm-meta - {baseline}: {gap}"
        assert 2.0 < 100 * gap.mean < 4.5, gap  # the notebook: "about three points at 1-shot"


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="shots must be one of 1, 5, got 3"):
        build_demo(3)
    with pytest.raises(ValueError, match="iterations must be an integer >= 1"):
        race_lstm(None, None, iterations=0)
