"""The code solutions of lesson 08 give the answers its solutions page states."""
import importlib.util
from pathlib import Path

import pytest

from mlkit.live.memory import CHECKPOINTS

SOLUTIONS = Path(__file__).resolve().parents[2] / "lessons" / "solutions"
shipped = pytest.mark.skipif(not (CHECKPOINTS / "mann-5way.pt").is_file(),
                             reason="the shipped models come from `python -m mlkit reproduce mann`")


def load(name):
    spec = importlib.util.spec_from_file_location(f"memory_solution_{name}", SOLUTIONS / f"08_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_label_counting_beats_chance_most_at_the_first_image():
    scores = load("label_counting").counting_accuracy(5, 10, n_sequences=20000)
    assert scores[1] == pytest.approx(0.457, abs=0.01) and scores[10] == pytest.approx(0.327, abs=0.01)
    assert min(scores.values()) > 0.25  # every instance above chance (0.20) without looking at an image


def test_lrua_writes_cycle_and_spare_a_slot_that_is_read():
    load("lrua_order").main()  # asserts the two orders itself


@shipped
def test_memory_size_answers():
    scores = load("memory_size").accuracy_by_slots(slots=(1, 16), n_episodes=100)
    assert scores[1][2] < scores[16][2] - 0.1  # one slot cannot hold the first image until the second comes


@shipped
def test_attention_answers():
    study = load("attention").attention_study(n_episodes=100)
    assert study["own class on top"] > 0.8 and study["soft attention accuracy"] > 0.8
    assert abs(study["hard attention accuracy"] - study["soft attention accuracy"]) < 0.02
    assert study["mean top weight"] < 0.4  # flat: a uniform mix of 5 gives 0.2
