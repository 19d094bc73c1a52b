"""lessons/: one lesson per notebook (same ``NN_topic`` name), each with its sections, 3-5 exercises and a
solutions page; every code solution (``lessons/solutions/NN_*.py``) runs -- here, unless a test of its lesson's
owner already runs it (one that names the file).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.md"))
SOLUTIONS = ROOT / "lessons" / "solutions"
CODE_SOLUTIONS = sorted(SOLUTIONS.glob("[0-9][0-9]_*.py"))
SOLUTION_TIMEOUT_S = 120
MACHINE_PATH = re.compile(r"(/work/|/tmp/|/root/|/home/|/Users/)")
PAPER_CITATION = re.compile(r"\b[A-Z][\w-]+(?: et al\.)?,? \(?(?:19|20)\d\d\b")  # "Lee (2018)", "Finn et al. 2017"

lesson_params = pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])


def sections(text: str) -> dict[str, str]:
    """``## heading`` (lower case) -> the text under it."""
    parts = re.split(r"^##\s+(.+?)\s*$", text, flags=re.MULTILINE)
    return {heading.lower(): body for heading, body in zip(parts[1::2], parts[2::2])}


def test_lessons_and_notebooks_pair_up_one_to_one() -> None:
    lessons = {p.stem for p in LESSONS}
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert lessons, "lessons/ holds no NN_topic.md lesson"
    assert lessons == notebooks, (
        f"lessons without a notebook: {sorted(lessons - notebooks)}; notebooks without a lesson: "
        f"{sorted(notebooks - lessons)}"
    )


@lesson_params
def test_lesson_has_its_sections_and_three_to_five_exercises(lesson: Path) -> None:
    text = lesson.read_text(encoding="utf-8")
    assert text.startswith("# "), f"{lesson.name}: starts with a '# ' title"
    parts = sections(text)
    headings = list(parts)
    assert any("learn" in h for h in headings), f"{lesson.name}: a 'What you will learn' section, has {headings}"
    assert any("look for" in h for h in headings), f"{lesson.name}: a 'What to look for' section, has {headings}"
    exercises = [body for heading, body in parts.items() if heading.startswith("exercise")]
    assert exercises, f"{lesson.name}: an '## Exercises' section, has {headings}"
    items = re.findall(r"^(?:\d+\.|###)\s", exercises[0], flags=re.MULTILINE)
    assert 3 <= len(items) <= 5, f"{lesson.name}: 3-5 numbered exercises, found {len(items)}"
    assert PAPER_CITATION.search(text), f"{lesson.name}: cite its paper by authors and year (e.g. 'Lee (2018), §6.1')"
    assert not MACHINE_PATH.search(text), f"{lesson.name}: machine path {MACHINE_PATH.search(text).group(0)!r}"


@lesson_params
def test_lesson_has_a_solutions_page(lesson: Path) -> None:
    page = SOLUTIONS / lesson.name
    assert page.is_file(), f"{lesson.name}: solutions belong in lessons/solutions/{lesson.name}"
    assert len(page.read_text(encoding="utf-8").strip()) > 200, f"solutions/{lesson.name} is (nearly) empty"


def test_every_code_solution_belongs_to_a_lesson() -> None:
    numbers = {p.name[:2] for p in LESSONS}
    strays = [p.name for p in CODE_SOLUTIONS if p.name[:2] not in numbers]
    assert not strays, f"code solutions whose lesson number has no lesson: {strays}"


def run_elsewhere(solution: Path) -> list[str]:
    """Test files (other than this one) that name ``solution``: they run it, with their own assertions."""
    this = Path(__file__).resolve()
    return [str(t.relative_to(ROOT)) for t in (ROOT / "tests").rglob("*.py")
            if t.resolve() != this and solution.name in t.read_text(encoding="utf-8", errors="replace")]


@pytest.mark.parametrize("solution", CODE_SOLUTIONS, ids=[p.stem for p in CODE_SOLUTIONS])
def test_code_solution_runs(solution: Path) -> None:
    owners = run_elsewhere(solution)
    if owners:
        pytest.skip(f"run by {', '.join(owners)}")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(solution)], cwd=ROOT, capture_output=True, text=True,
                          timeout=SOLUTION_TIMEOUT_S, env={"OMP_NUM_THREADS": "1", **os.environ})
    seconds = time.perf_counter() - start
    assert done.returncode == 0, f"{solution.name} failed after {seconds:.0f} s:\n{done.stderr[-2000:]}"
    assert done.stdout.strip(), f"{solution.name} printed nothing: a solution shows its answer"
