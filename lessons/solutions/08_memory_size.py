"""Lesson 08, exercise 2: the shipped 5-class MANN with a smaller or larger memory, without retraining.

Run: python lessons/solutions/08_memory_size.py

The memory is part of the network's state, not of its weights (``MANN.initial_state`` makes it), so the trained
weights run unchanged with any number of slots. Accuracy at the 2nd and 10th image of 200 held-out sequences of
5 characters × 10 images (Santoro et al. 2016, Table 1's columns), for 1 to 64 slots (16 as trained).
"""
from __future__ import annotations

from mlkit.live.memory import accuracy_by_instance, build_mann, shipped_mann
from mlkit.meta.mann import MANN


def with_slots(slots: int) -> MANN:
    """The shipped 5-class model's weights in a MANN whose memory has ``slots`` rows."""
    model = build_mann(5, memory_slots=slots)  # the same network, another memory size
    model.load_state_dict(shipped_mann(5).state_dict())
    return model


def accuracy_by_slots(slots: tuple[int, ...] = (1, 2, 4, 8, 16, 64), n_episodes: int = 200) -> dict[int, dict[int, float]]:
    return {s: {i: score.mean for i, score in accuracy_by_instance(with_slots(s), 5, 10, n_episodes, 0,
                                                                    instances=(2, 10)).items()} for s in slots}


def main() -> None:
    for slots, scores in accuracy_by_slots().items():
        print(f"{slots:>2} slots: 2nd image {100 * scores[2]:.1f} %, 10th image {100 * scores[10]:.1f} %")


if __name__ == "__main__":
    main()
