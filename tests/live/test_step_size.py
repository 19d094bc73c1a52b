"""The claim of notebook 02 holds in quick mode, checked with the functions the notebook calls
(mlkit/live/step_size.py) and the notebook's default parameters: MAML and a T-net trained at a too small and a
too large α, once, shared by the tests."""
from functools import lru_cache

import pytest
from notebook_parameters import parameters

from mlkit.live.step_size import ALPHAS, QUICK_ITERATIONS, effective_steps, robustness_table, train_pair, train_pairs

NOTEBOOK = parameters("02_step_size_robustness.ipynb")


@lru_cache(maxsize=None)
def quick_runs():
    alphas = (NOTEBOOK["alpha_small"], NOTEBOOK["alpha_large"])
    runs = train_pairs(alphas, NOTEBOOK["shots"], NOTEBOOK["iterations"], NOTEBOOK["seed"], progress=False)
    return runs, robustness_table(runs, NOTEBOOK["shots"], NOTEBOOK["seed"])


def test_the_notebooks_quick_mode_is_the_one_documented_here():
    assert (NOTEBOOK["alpha_small"], NOTEBOOK["alpha_large"]) == ALPHAS
    assert NOTEBOOK["iterations"] == QUICK_ITERATIONS and NOTEBOOK["shots"] == 10 and NOTEBOOK["seed"] == 0


@pytest.mark.parametrize("end", ["small", "large"])
def test_the_live_t_net_adapts_better_than_maml_at_both_ends(end):
    _, table = quick_runs()
    row = table[NOTEBOOK[f"alpha_{end}"]]
    assert row["tnet"] is not None, "the T-net's adaptation diverged"
    if row["maml"] is not None:  # a diverged MAML loses by definition
        gap = row["maml − tnet"]
        assert gap.mean - gap.ci95 > 0, f"α = {NOTEBOOK[f'alpha_{end}']}: MAML - T-net = {gap}"


def test_t_moved_the_way_eq_4_3_asks():
    runs, _ = quick_runs()
    small, large = NOTEBOOK["alpha_small"], NOTEBOOK["alpha_large"]
    grown = {name: s["mean"] / small for name, s in effective_steps(runs[small]["tnet"][0], small).items()}
    assert all(mean_eigenvalue > 1.2 for mean_eigenvalue in grown.values()), grown  # longer steps
    shrunk = effective_steps(runs[large]["tnet"][0], large)
    assert shrunk["t2"]["mean"] / large < 0.5, shrunk  # the output layer's step, shorter


def test_a_pair_starts_from_the_same_weights_and_bad_input_is_named():
    pair = train_pair(0.01, iterations=10, seed=4, progress=False)
    maml, tnet = pair["maml"][0], pair["tnet"][0]
    assert maml.learner.w0.shape == tnet.learner.w0.shape
    with pytest.raises(ValueError, match="alpha must be a finite number > 0, got -1"):
        train_pair(-1)
    with pytest.raises(ValueError, match="iterations must be an integer >= 10"):
        train_pair(0.01, iterations=3)
