"""The code solutions of lesson 06 give the answers the solutions page states (on the shipped LEO model)."""
import importlib.util
from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).resolve().parents[2] / "lessons" / "solutions"


def load(name):
    spec = importlib.util.spec_from_file_location(f"leo_solution_{name}", SOLUTIONS / f"06_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kl_monte_carlo_converges_to_the_closed_form():
    errors = load("kl").compare(sizes=(10, 100_000))
    assert errors[100_000] < 0.01 < errors[10]


def test_latent_steps_change_little_on_top_of_a_strong_encoder():
    scores = load("latent_steps").accuracy_by_steps(steps=(0, 5), n_tasks=100)
    assert scores[0] > 0.9 and abs(scores[5] - scores[0]) < 0.02  # the solutions page: +0.1 point


def test_codes_are_far_purer_than_chance_before_and_after_adaptation():
    table = load("purity").purity_by_k(ks=(5,), n_tasks=60)
    assert table["z"][5] > 10 * table["chance"][5] and table["z_adapted"][5] > 10 * table["chance"][5]
    assert abs(table["z_adapted"][5] - table["z"][5]) < 0.05  # the solutions page: adaptation hardly changes it
