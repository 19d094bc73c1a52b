"""mlkit/exercises/race.py: the two runs of a race, what stops the student's run (and never mlkit's), the report's
agreement and ratio, and ``descend``, the outer step both runs take."""
from __future__ import annotations

import math

import pytest
import torch

from mlkit.exercises.feedback import Hint
from mlkit.exercises.race import TOLERANCE, Race, descend, race

BATCHES = [object(), object(), object()]  # race only hands the batches on; the steps below ignore them


def counting_step(values):
    remaining = iter(values)
    return lambda batch: next(remaining)


def test_equal_losses_agree_and_the_report_says_true_with_the_ratio() -> None:
    found = race("MAML", counting_step([3.0, 2.0, 1.0]), counting_step([3.0, 2.0, 1.0 + 1e-9]), BATCHES,
                 progress=False)
    assert found.error is None and found.student == [3.0, 2.0, 1.0] and found.largest_difference == pytest.approx(1e-9)
    assert found.agree() and "equal within a relative 0.0001: True" in found.report()
    assert "mlkit's batched MAML ran ≈" in found.report() and found.speedup > 0


def test_losses_apart_by_more_than_the_tolerance_disagree() -> None:
    found = race("MAML", counting_step([1.0, 1.0, 1.0 + 10 * TOLERANCE]), counting_step([1.0, 1.0, 1.0]), BATCHES,
                 progress=False)
    assert not found.agree() and found.largest_difference == pytest.approx(10 * TOLERANCE)
    assert ": False (largest difference ≈1.0e-03)" in found.report()


@pytest.mark.parametrize("student_step, said", [
    (lambda batch: (_ for _ in ()).throw(Hint("`inner_step` is still the stub")), "`inner_step` is still the stub"),
    (lambda batch: "low", "it returned something that is not a number"),
    (lambda batch: float("nan"), "its meta-loss became nan (diverged)"),
    (lambda batch: 1 / 0, "`your step` raised ZeroDivisionError"),
])
def test_a_broken_student_step_stops_only_the_students_run(student_step, said: str) -> None:
    found = race("Reptile", student_step, counting_step([1.0, 0.5, 0.25]), BATCHES, progress=False)
    assert said in found.error and found.student == [] and found.mlkit == [1.0, 0.5, 0.25]
    assert math.isinf(found.largest_difference) and not found.agree()
    assert found.report().startswith(f"your Reptile stopped after 0 of 3 meta-iterations: {found.error}")
    assert "mlkit's Reptile trained alone" in found.report()


def test_the_speedup_is_per_meta_iteration_so_a_run_stopped_early_still_compares() -> None:
    stopped = Race("MAML", student=[1.0], mlkit=[1.0, 1.0, 1.0, 1.0], student_seconds=2.0, mlkit_seconds=1.0)
    assert stopped.speedup == pytest.approx(8.0)  # 2 s for one iteration against 0.25 s each
    assert math.isnan(Race("MAML").speedup)
    assert "mlkit's MAML ran" in Race("MAML", [1.0], [1.0], 1.0, 1.0, mlkit_kind="").report()


def test_descend_clears_old_gradients_clips_then_steps() -> None:
    weight = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    optimizer = torch.optim.SGD([weight], lr=1.0)
    weight.grad = torch.tensor([100.0, 100.0])  # a stale gradient that must not leak into the step
    value = descend((weight * torch.tensor([3.0, 4.0])).sum(), optimizer)  # gradient (3, 4)
    assert value == pytest.approx(25.0) and torch.equal(weight.detach(), torch.tensor([0.0, 0.0]))
    clipped = descend((weight * torch.tensor([3.0, 4.0])).sum(), optimizer,
                      lambda: torch.nn.utils.clip_grad_norm_([weight], 1.0))  # (3, 4) clipped to norm 1
    assert clipped == pytest.approx(0.0)
    assert torch.allclose(weight.detach(), torch.tensor([-0.6, -0.8]))
