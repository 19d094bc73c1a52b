"""mlkit/exercises/__init__.py: the notebook-side face of the checks (otter-grader underneath)."""
from __future__ import annotations

import pytest

from mlkit.exercises import CheckResult, Exercises, exercise_names, hint_of, notebooks_with_exercises


def test_every_notebook_with_exercises_is_a_notebook() -> None:
    from pathlib import Path

    stems = {p.stem for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb")}
    assert "01_sine_regression" in notebooks_with_exercises()
    assert set(notebooks_with_exercises()) <= stems


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    known = r"notebook must be one of \[.*'01_sine_regression'.*\] \(the notebooks with exercises\), got 'nope'"
    with pytest.raises(ValueError, match=known):
        exercise_names("nope")
    with pytest.raises(ValueError, match=r"name must be one of this notebook's exercises \['inner_step'"):
        Exercises("01_sine_regression").check("inner_stp", {})


def test_the_hint_is_read_from_otters_report_of_a_failed_case() -> None:
    report = ("❌ Test case failed\nError at line 12 in test inner_step:\n      maml.check_inner_step(inner_step)\n"
              "Hint: θ' moves uphill: you added the gradient")
    assert hint_of(report) == "θ' moves uphill: you added the gradient"
    assert hint_of("❌ Test case failed\nError at line 3:\n  x\nKeyError: 'w0'") == "KeyError: 'w0'"


def test_results_show_as_one_short_block() -> None:
    passed, failed = CheckResult("step", 2, 2), CheckResult("step", 0, 2, ["the sign is wrong", "and the scale"])
    assert repr(passed) == "✓ step: passed" and passed.passed
    assert repr(failed) == "✗ step: not yet\n  - the sign is wrong\n  - and the scale" and not failed.passed
    assert "<li>the sign is wrong</li>" in failed._repr_html_() and "passed" in passed._repr_html_()
