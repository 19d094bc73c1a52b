"""The code solutions of lessons 01-03 (lessons/solutions/01_sine_regression.py, 02_step_size_robustness.py,
03_polynomial_subspace.py) give the identities their solutions pages state."""
import importlib.util
from pathlib import Path

import pytest
import torch

SOLUTIONS = Path(__file__).resolve().parents[2] / "lessons" / "solutions"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_01_best_alpha_more_shots_and_metasgd_steps():
    lesson = load("01_sine_regression")
    best, mses = lesson.exercise_1_best_alpha("maml")
    assert mses[best] == min(mses.values()) and len(mses) == 17
    shots = lesson.exercise_2_more_shots(n_tasks=50)
    assert set(shots) == {5, 10, 20} and shots[20] < shots[5]
    stats = lesson.exercise_3_metasgd_steps()
    assert set(stats) == {"w0", "b0", "w1", "b1", "w2", "b2"} and all(0 <= s["negative"] <= 1 for s in stats.values())


def test_02_eq_4_3_with_bias_and_scaled_identity():
    lesson = load("02_step_size_robustness")
    assert lesson.exercise_1_bias() < 1e-10
    assert lesson.exercise_2_scaled_identity(s=3.0) < 1e-10
    ratios = lesson.exercise_3_robustness()
    assert set(ratios) == {"maml", "tnet", "mtnet"} and ratios["maml"]["paper"] == "242.1"


def test_03_gumbel_coin_and_text_formula():
    lesson = load("03_polynomial_subspace")
    for (zeta, _), p in lesson.exercise_1_gumbel(samples=50_000).items():
        assert p == pytest.approx(torch.sigmoid(torch.tensor(zeta)).item(), abs=0.01)
    for ours, text in lesson.exercise_2_text_formula().values():
        assert ours + text == pytest.approx(1.0, abs=1e-6)
    assert set(lesson.exercise_4_mask_modes(n_tasks=50)) == {"sample", "expected", "hard"}


def test_02_the_numbers_the_solutions_page_quotes_are_those_of_the_results_file():
    from mlkit.experiments.report import load_result

    lesson = load("02_step_size_robustness")
    assert lesson.exercise_3_robustness() == {"maml": {"ours": "283.6", "paper": "242.1"},
                                              "tnet": {"ours": "7.5", "paper": "7.4"},
                                              "mtnet": {"ours": "8.1", "paper": "8.5"}}
    rows = {r["alpha"]: r for r in load_result("step-size")["rows"]}
    tiny = rows[1e-4]["metric"]["tnet"]
    assert all(4 <= tiny[t]["mean"] <= 5 and tiny[t]["max"] > 40 for t in ("t0", "t1"))  # "about 4-5, above 40"
    shrunk = [round(rows[a]["metric"]["tnet"]["t2"]["mean"], 3) for a in (0.1, 1.0, 10.0)]
    assert shrunk == [0.021, 0.065, 0.008]  # "about 0.02, 0.07 and 0.008"
    tnet = {a: r["scores"]["tnet"]["mean"] for a, r in rows.items()}
    assert round(tnet[1.0], 1) == round(tnet[10.0], 1) == 4.3  # "about 4.3 at α = 1 and 10"
    assert tnet[1e-4] - min(tnet.values()) < 0.15 < tnet[10.0] - min(tnet.values())  # close at 1e-4, not at 10
