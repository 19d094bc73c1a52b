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


@shipped
def test_memory_size_answers():
    scores = load("memory_size").accuracy_by_slots(slots=(1, 16), n_episodes=100)
    assert scores[1][2] < scores[16][2] - 0.1  # one slot cannot hold the first image until the second comes


def test_sharper_reads_answers():
    """Exercise 3: one row of 16 equals the key; the largest read weight for key strengths 1, 5 and 20 (seed 0)."""
    import torch
    import torch.nn.functional as F

    memory = torch.randn(1, 16, 16, generator=torch.Generator().manual_seed(0))
    key = memory[:, 3:4].clone()
    cosine = F.normalize(key, dim=-1) @ F.normalize(memory, dim=-1).transpose(1, 2)
    largest = [round((beta * cosine).softmax(-1).max().item(), 2) for beta in (1, 5, 20)]
    assert largest == [0.15, 0.84, 1.0]
