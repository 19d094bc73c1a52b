"""The code solutions of lessons 01-03 (lessons/solutions/01_sine_regression.py, 02_step_size_robustness.py,
03_polynomial_subspace.py) give the identities their solutions pages state."""
import importlib.util
from pathlib import Path

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


def test_02_the_bias_is_preconditioned_like_the_weights():
    lesson = load("02_step_size_robustness")
    assert lesson.exercise_1_bias() < 1e-10
    ratios = lesson.exercise_2_robustness()
    assert set(ratios) == {"maml", "tnet", "mtnet"} and ratios["maml"]["paper"] == "242.1"


def test_03_expected_units_and_mask_modes_of_the_shipped_models():
    lesson = load("03_polynomial_subspace")
    units = lesson.exercise_1_units()
    assert [round(units[n], 1) for n in (0, 1, 2)] == [17.4, 31.5, 25.8]  # the numbers the solutions page quotes
    modes = lesson.exercise_2_mask_modes(n_tasks=50)
    assert set(modes) == {"sample", "expected", "hard"} and all(0 < v < 1 for v in modes.values())


def test_02_the_numbers_the_solutions_page_quotes_are_those_of_the_results_file():
    from mlkit.experiments.report import load_result

    lesson = load("02_step_size_robustness")
    assert lesson.exercise_2_robustness() == {"maml": {"ours": "283.6", "paper": "242.1"},
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
