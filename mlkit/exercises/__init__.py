"""Graded exercises in the notebooks: the student writes the algorithm, a check answers at once.

Each exercise is an otter-grader test file (exception-based format) in ``mlkit/exercises/otter/<notebook>/``; its
test cases call a check of this package (``mlkit.exercises.maml``, ...) that compares the student's function with
mlkit's implementation of the paper's equation on fixed small inputs and raises a ``Hint`` naming the mistake.
In a notebook::

    from mlkit.exercises import Exercises
    exercises = Exercises("01_sine_regression")
    ...                                  # the student completes `inner_step`
    exercises.check("inner_step")        # ✓ passed, or ✗ and what is wrong

``check`` goes through ``otter.Notebook.check`` (so otter's log and its grading of submissions, ``make grade``,
see the same checks) and shows the result in one short block; it never raises, so Run All carries on.
"""
from __future__ import annotations

import html
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent / "otter"  # otter-grader test files, one folder per notebook
HINT_PREFIX = "\nHint: "  # how otter's report of a failed test case ends when a check raised a Hint


def notebooks_with_exercises() -> list[str]:
    """The notebooks (file stems) that have graded exercises."""
    return sorted(p.name for p in TESTS.iterdir() if p.is_dir() and any(p.glob("*.py")))


def exercise_names(notebook: str) -> list[str]:
    """The exercises of ``notebook`` (a file stem such as ``"01_sine_regression"``), in file-name order."""
    folder = TESTS / notebook
    if not folder.is_dir():
        raise ValueError(f"notebook must be one of {notebooks_with_exercises()} (the notebooks with exercises), "
                         f"got {notebook!r}")
    return sorted(p.stem for p in folder.glob("*.py") if not p.name.startswith("_"))


def hint_of(message: str) -> str:
    """The student-facing sentence in otter's report of one failed test case.

    A check raises ``Hint("...")``; otter reports ``... Error at line N in test X: <line> Hint: ...``: the text after
    the last ``Hint:`` is what the student needs. Anything else (an error in mlkit itself) keeps its last line."""
    if HINT_PREFIX in message:
        return message.rsplit(HINT_PREFIX, 1)[1].strip()
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "failed"


@dataclass
class CheckResult:
    """The outcome of one exercise's check: passed, or the hints of its failed test cases."""

    name: str
    score: float
    possible: float
    hints: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.hints

    @classmethod
    def from_otter(cls, name: str, test_file: Any) -> "CheckResult":
        hints = [hint_of(result.message or "") for result in test_file.test_case_results if not result.passed]
        return cls(name, float(test_file.score), float(test_file.possible), hints)

    def __repr__(self) -> str:
        if self.passed:
            return f"✓ {self.name}: passed"
        return "\n".join([f"✗ {self.name}: not yet"] + [f"  - {hint}" for hint in self.hints])

    def _repr_html_(self) -> str:
        if self.passed:
            return f"<p style='color:#1a7f37'><b>✓ {html.escape(self.name)}</b>: passed</p>"
        items = "".join(f"<li>{html.escape(hint)}</li>" for hint in self.hints)
        return f"<div style='color:#b42318'><b>✗ {html.escape(self.name)}</b>: not yet<ul>{items}</ul></div>"


class Exercises:
    """The graded exercises of one notebook (``notebook``: its file stem, e.g. ``"01_sine_regression"``)."""

    def __init__(self, notebook: str) -> None:
        import otter

        self.notebook = notebook
        self.names = exercise_names(notebook)
        self.grader = otter.Notebook(tests_dir=str(TESTS / notebook))

    def check(self, name: str, env: dict[str, Any] | None = None) -> CheckResult:
        """Run the checks of exercise ``name`` against the notebook's variables (``env``, default: the caller's
        globals) and return what they found; shown in the notebook as ✓ or ✗ with hints. Never raises for a
        mistake in the student's code."""
        if name not in self.names:
            raise ValueError(f"name must be one of this notebook's exercises {self.names}, got {name!r}")
        if env is None:
            caller = inspect.currentframe().f_back  # type: ignore[union-attr]
            env = caller.f_globals if caller is not None else {}
        return CheckResult.from_otter(name, self.grader.check(name, global_env=env))

    def __repr__(self) -> str:
        return f"Exercises({self.notebook!r}): {', '.join(self.names)}"
