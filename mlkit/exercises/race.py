"""The student's implementation trained beside mlkit's, from the same seed, on the same meta-batches.

Both start from the same weights and take one outer step per meta-batch, in the same order, with the same optimiser:
if the student's code is right, the two training-loss curves are the same numbers up to float rounding (summing in
another order), and the ratio of their run times is what batching all tasks at once buys. Rounding differences grow
slowly along a run; over the few hundred meta-iterations of a notebook they stay far below the tolerance.

``race`` never raises for a mistake in the student's code: the mistake is kept as one line (``Race.error``), mlkit's
run goes on alone, and the notebook's later cells still run.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from tqdm.auto import tqdm

from mlkit.exercises.feedback import Hint, call
from mlkit.tasks.batch import TaskBatch

Step = Callable[[TaskBatch], float]  # one outer step on a meta-batch; returns its meta-loss
TOLERANCE = 1e-4  # largest relative difference of two training losses that counts as "the same numbers"


@dataclass
class Race:
    """Training losses of the student's run and mlkit's, per meta-iteration, and their run times."""

    label: str  # what was trained, e.g. "MAML"
    student: list[float] = field(default_factory=list)
    mlkit: list[float] = field(default_factory=list)
    student_seconds: float = 0.0
    mlkit_seconds: float = 0.0
    error: str | None = None  # why the student's run stopped (None: it ran to the end)
    mlkit_kind: str = "batched"  # how mlkit's run differs from the student's, as the report says it ("" for none)

    @property
    def largest_difference(self) -> float:
        """max over iterations of |student − mlkit| / |mlkit| (inf when the student's run stopped early)."""
        if self.error is not None or len(self.student) != len(self.mlkit) or not self.mlkit:
            return math.inf
        return max(abs(s - m) / max(abs(m), 1e-12) for s, m in zip(self.student, self.mlkit))

    def agree(self, tolerance: float = TOLERANCE) -> bool:
        return self.largest_difference <= tolerance

    @property
    def speedup(self) -> float:
        """How many times faster mlkit's run was (per meta-iteration, so a run stopped early still compares)."""
        if not self.student or not self.mlkit or self.mlkit_seconds <= 0:
            return math.nan
        return (self.student_seconds / len(self.student)) / (self.mlkit_seconds / len(self.mlkit))

    def report(self) -> str:
        """What the notebook prints: agreement (a yes/no that float noise cannot flip) and the measured ratio.

        Measured quantities that vary from machine to machine are printed after "≈"."""
        n = len(self.mlkit)
        if self.error is not None:
            return (f"your {self.label} stopped after {len(self.student)} of {n} meta-iterations: {self.error}\n"
                    f"mlkit's {self.label} trained alone; fix the exercise above (its check says more) and run "
                    "this cell again")
        return (f"your {self.label} and mlkit's, same seed, same {n} meta-batches: training losses equal within a "
                f"relative {TOLERANCE:g}: {self.agree()} (largest difference ≈{self.largest_difference:.1e})\n"
                f"mlkit's {self.mlkit_kind + ' ' if self.mlkit_kind else ''}{self.label} ran ≈{self.speedup:.1f}× as "
                "fast as yours")


def descend(loss: torch.Tensor, optimizer: torch.optim.Optimizer, clip: Callable[[], object] | None = None) -> float:
    """One outer step on a meta-loss, taken as mlkit's training loop takes it (``mlkit.train``): clear the old
    gradients, backpropagate, clip them where the method clips (``clip``, e.g. ``meta.clip_gradients``), step.
    Both runs of a race step through here, so that they differ only in how the meta-loss was computed.
    Returns the meta-loss as a number."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip is not None:
        clip()
    optimizer.step()
    return loss.item()


def race(label: str, student_step: Step, mlkit_step: Step, batches: Sequence[TaskBatch],
         progress: bool = True, mlkit_kind: str = "batched") -> Race:
    """Run ``student_step`` on every batch, then ``mlkit_step`` on the same batches; time both.

    A student step that raises, returns something other than a number, or returns a non-finite loss ends the
    student's run with ``Race.error`` set; mlkit's run always completes."""
    result = Race(label, mlkit_kind=mlkit_kind)
    start = time.perf_counter()
    for batch in tqdm(batches, desc=f"your {label}", leave=False, disable=not progress, mininterval=1.0):
        try:
            value = float(call(student_step, "your step", batch))
        except Hint as hint:
            result.error = str(hint)
            break
        except (TypeError, ValueError):
            result.error = "it returned something that is not a number: return the meta-loss (loss.item())"
            break
        if not math.isfinite(value):
            result.error = f"its meta-loss became {value} (diverged)"
            break
        result.student.append(value)
    result.student_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for batch in tqdm(batches, desc=f"mlkit's {label}", leave=False, disable=not progress, mininterval=1.0):
        result.mlkit.append(float(mlkit_step(batch)))
    result.mlkit_seconds = time.perf_counter() - start
    return result
