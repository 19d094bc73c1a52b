"""Grade students' notebooks with otter-grader and print a score per exercise (``make grade``).

    python -m mlkit.grade build/student/01_sine_regression.ipynb       # one notebook
    python -m mlkit.grade submissions/                                 # every notebook in a folder (a class)
    python -m mlkit.grade submissions/ --json grades.json              # also write the scores as JSON

Which exercises a notebook has is read from its metadata (``mlkit.exercises``: the name of the notebook it was made
from), so a student may rename the file. For each notebook, ``otter generate`` packs that notebook's test files
(``mlkit/exercises/otter/<notebook>/``) into an autograder zip and ``otter run`` executes the whole notebook in a
fresh kernel, without Docker, then runs every exercise's checks on what it defined: a cell that fails does not stop
the others. Grading takes about as long as running the notebook (under two minutes each).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from mlkit.exercises import TESTS, exercise_names, hint_of, notebooks_with_exercises

METADATA_KEY = "mlkit"  # notebook metadata: {"mlkit": {"exercises": "01_sine_regression"}}


@dataclass
class ExerciseGrade:
    name: str
    score: float
    possible: float
    hints: list[str]


def exercises_of(notebook: Path) -> str:
    """The notebook whose exercises ``notebook`` holds (from its metadata, else from its file name)."""
    import nbformat

    try:
        book = nbformat.read(notebook, as_version=4)
    except Exception as error:  # not JSON, not a notebook
        raise ValueError(f"{notebook} is not a Jupyter notebook nbformat can read ({error})") from None
    name = book.metadata.get(METADATA_KEY, {}).get("exercises")
    if name is None:
        matches = [n for n in notebooks_with_exercises() if notebook.stem.startswith(n[:2])]
        if len(matches) != 1:
            raise ValueError(f"{notebook} names no exercises in its metadata ({METADATA_KEY}.exercises) and its file "
                             f"name does not start with the number of one of {notebooks_with_exercises()}")
        name = matches[0]
    exercise_names(name)  # refuses an unknown name, listing the known ones
    return name


def autograder_zip(notebook: str, folder: Path) -> Path:
    """``otter generate``: the autograder configuration of ``notebook``'s exercises, as a zip in ``folder``."""
    from otter.generate import main as generate

    target = folder / f"{notebook}-autograder.zip"
    generate(tests_dir=str(TESTS / notebook), output_path=str(target), no_config=True, no_requirements=True,
             no_environment=True)
    return target


def grade(submission: Path) -> list[ExerciseGrade]:
    """Run ``submission`` under ``otter run`` and return each exercise's score, maximum and hints."""
    from otter.api import grade_submission

    notebook = exercises_of(submission)
    with tempfile.TemporaryDirectory(prefix="mlkit-grade-") as folder:
        results = grade_submission(str(submission.resolve()), str(autograder_zip(notebook, Path(folder))), quiet=True)
    grades = []
    for name in exercise_names(notebook):
        try:
            result = results.get_result(name)
        except KeyError:  # the run never reached the checks (e.g. the notebook could not be executed at all)
            grades.append(ExerciseGrade(name, 0.0, float("nan"), ["not graded: the notebook did not run"]))
            continue
        hints = [hint_of(r.message or "") for r in result.test_case_results if not r.passed]
        grades.append(ExerciseGrade(name, float(result.score), float(result.possible), hints))
    return grades


def table(submission: Path, grades: list[ExerciseGrade]) -> str:
    """The per-exercise scores of one submission, as printed."""
    lines = [f"{submission}:"]
    for g in grades:
        lines.append(f"  {g.name:24s} {g.score:g} / {g.possible:g}" + (f"   {g.hints[0]}" if g.hints else ""))
    total, possible = sum(g.score for g in grades), sum(g.possible for g in grades)
    lines.append(f"  {'total':24s} {total:g} / {possible:g}")
    return "\n".join(lines)


def submissions(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.is_file():
            found.append(path)
        else:
            raise ValueError(f"submission not found: {path} (give notebooks or folders of notebooks)")
    if not found:
        raise ValueError(f"no notebooks in {', '.join(map(str, paths))}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlkit.grade", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="student notebooks, or folders of them")
    parser.add_argument("--json", type=Path, default=None, help="also write {notebook: [exercise grades]} here")
    args = parser.parse_args(argv)
    try:
        found = submissions(args.paths)
        report = {}
        for submission in found:
            grades = grade(submission)
            print(table(submission, grades), flush=True)
            report[str(submission)] = [asdict(g) for g in grades]
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
