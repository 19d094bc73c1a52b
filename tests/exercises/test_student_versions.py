"""The student versions that ``make student`` writes, run in a kernel: on the stubs every exercise check fails with
its message; with the teacher's solutions put back in place of the stubs, every check passes.

For speed, each run executes the notebook's code cells up to its last check cell (the exercises come before the
long runs that use them); parameters in the notebook's metadata (``mlkit.check_parameters``) shorten any live run
that comes before a check.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from mlkit.build import to_student
from mlkit.exercises import exercise_names, notebooks_with_exercises

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = notebooks_with_exercises()
CHECK = re.compile(r'^\s*exercises\.check\("(\w+)"\)\s*$')
SOLUTION = re.compile(r"#\s*BEGIN SOLUTION|#\s*SOLUTION\s*$", re.MULTILINE)
STUB_HINT = re.compile(r"still the stub|not written yet|not defined yet|is not ready|returned nothing|returned `...`")

notebook_params = pytest.mark.parametrize("name", NOTEBOOKS)


def teacher(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def student(name: str) -> nbformat.NotebookNode:
    book = teacher(name)
    to_student(book)
    return book


def checks(book: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, exercise name) of every check cell."""
    return [(i, m.group(1)) for i, cell in enumerate(book.cells) if cell.cell_type == "code"
            for m in [CHECK.match(cell.source)] if m]


def run_until_last_check(book: nbformat.NotebookNode, name: str) -> dict[str, str]:
    """Execute the code cells of ``book`` up to its last check cell (errors allowed); {exercise: check output}."""
    from nbclient import NotebookClient

    last = checks(book)[-1][0]
    head = nbformat.from_dict(book)
    head.cells = [cell for cell in book.cells[: last + 1]]
    fast = teacher(name).metadata.get("mlkit", {}).get("check_parameters", {})
    if fast:
        at = next(i for i, c in enumerate(head.cells) if "parameters" in c.metadata.get("tags", []))
        head.cells.insert(at + 1, nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in fast.items())))
    NotebookClient(head, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    found = {}
    for index, exercise in checks(head):
        texts = [out.get("data", {}).get("text/plain", "") or out.get("text", "") or out.get("evalue", "")
                 for out in head.cells[index].outputs]
        found[exercise] = "\n".join(texts)
    return found


@notebook_params
def test_every_exercise_has_a_check_cell_after_its_solution(name: str) -> None:
    book = teacher(name)
    found = checks(book)
    assert [n for _, n in found] and set(n for _, n in found) == set(exercise_names(name)), (
        f"{name}: check cells {[n for _, n in found]}, exercises {exercise_names(name)}")
    for index, exercise in found:
        before = [c for c in book.cells[:index] if c.cell_type == "code" and SOLUTION.search(c.source)]
        assert before, f"{name}: the check of {exercise!r} comes before any solution cell"
    assert book.metadata.get("mlkit", {}).get("exercises") == name, f"{name}: metadata mlkit.exercises"


@notebook_params
def test_the_student_version_has_stubs_and_keeps_every_check(name: str) -> None:
    book, taught = student(name), teacher(name)
    assert [n for _, n in checks(book)] == [n for _, n in checks(taught)]
    assert not any(SOLUTION.search(c.source) for c in book.cells), f"{name}: a solution marker survived"
    assert not any("solution" in c.metadata.get("tags", []) for c in book.cells)
    assert not any(c.get("outputs") for c in book.cells if c.cell_type == "code")
    stubs = [c for c in book.cells if c.cell_type == "code" and re.search(r"^\s*\.\.\.\s*$|= \.\.\.", c.source, re.M)]
    assert len(stubs) >= len(exercise_names(name)) // 2, f"{name}: stubs ({len(stubs)}) missing"


@notebook_params
def test_on_the_stubs_every_check_fails_with_its_message(name: str) -> None:
    outputs = run_until_last_check(student(name), name)
    for exercise, text in outputs.items():
        assert text.startswith(f"✗ {exercise}: not yet"), f"{name}, {exercise}: {text!r}"
        assert STUB_HINT.search(text), f"{name}, {exercise}: the hint should say the stub is not written: {text!r}"


@notebook_params
def test_with_the_teachers_solutions_in_place_of_the_stubs_every_check_passes(name: str) -> None:
    book, solutions = student(name), {c.id: c.source for c in teacher(name).cells}
    for cell in book.cells:
        if cell.cell_type == "code" and cell.source != solutions[cell.id]:
            cell.source = solutions[cell.id]  # the stubbed cell, filled with the teacher's code
    outputs = run_until_last_check(book, name)
    assert outputs and all(text == f"✓ {exercise}: passed" for exercise, text in outputs.items()), outputs
