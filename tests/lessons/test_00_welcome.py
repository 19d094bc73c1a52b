"""The code solutions of lesson 00 give the answers the solutions page states (the numbers it quotes included)."""
import importlib.util
from pathlib import Path

SOLUTION = Path(__file__).resolve().parents[2] / "lessons" / "solutions" / "00_welcome.py"


def load():
    spec = importlib.util.spec_from_file_location("welcome_solution", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flat_predictor_mse_is_about_4_25():
    analytic, sampled = load().flat_predictor_mse(20_000)
    assert abs(analytic - 4.2517) < 1e-3
    assert abs(sampled - analytic) < 0.1


def test_too_many_shots_message():
    assert load().too_many_shots() == (
        "k_shot + q_query must be <= 20 (the images per class of glyphs test), got 18 + 5 = 23"
    )


def test_best_single_curve_is_about_3_1_and_flat_about_4_25():
    best, flat = load().best_single_curve_mse(5_000)
    assert 2.9 < best < 3.3 and abs(flat - 4.25) < 0.15 and best < flat
