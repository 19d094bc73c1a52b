"""The code solutions of lesson 04 give the answers the solutions page states (on the shipped LSTM meta-learners):
04_gate_variability.py (exercise 1) and 04_steps_and_stats.py (exercises 2 and 3)."""
import runpy
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "lessons" / "solutions"


def solution(name):
    return runpy.run_path(str(SOLUTIONS / name))["main"]


def test_the_input_gates_follow_a_schedule_more_than_the_episode():
    spreads = solution("04_gate_variability.py")(n_episodes=10)
    assert list(spreads) == [f"layer {k}" for k in range(1, 6)]
    for row in spreads.values():  # the solutions page: a schedule over the updates, less change across episodes
        assert row["across_episodes"] < row["across_updates"]


def test_other_numbers_of_updates_and_batch_statistics_are_scored():
    accuracy = solution("04_steps_and_stats.py")(n_tasks=10)
    assert len(accuracy) == 4 and all(0.0 <= a <= 100.0 for a in accuracy.values())
