"""mlkit/grade.py (``make grade``): otter-grader runs a student's notebook and each exercise gets its score."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlkit.grade import exercises_of, submissions

ROOT = Path(__file__).resolve().parents[1]

SUBMISSION = '''
import torch
import torch.nn.functional as F
from mlkit.exercises import Exercises
exercises = Exercises("01_sine_regression")

def mlp(x, w):
    h = F.relu(x @ w["w0"] + w["b0"])
    h = F.relu(h @ w["w1"] + w["b1"])
    return h @ w["w2"] + w["b2"]

def inner_step(theta, x, y, alpha):
    loss = F.mse_loss(mlp(x, theta), y)
    grads = torch.autograd.grad(loss, list(theta.values()), create_graph=True)
    return {n: w - alpha * g for (n, w), g in zip(theta.items(), grads)}

def meta_gradient(theta, x_support, y_support, x_query, y_query, alpha):
    return list(torch.autograd.grad(F.mse_loss(mlp(x_query, theta), y_query), list(theta.values())))
'''


def student_notebook(path: Path, cells: list[str], exercises: str | None = "01_sine_regression") -> Path:
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if exercises:
        book.metadata["mlkit"] = {"exercises": exercises}
    nbformat.write(book, path)
    return path


def test_make_grade_prints_a_score_per_exercise_with_the_hint(tmp_path: Path) -> None:
    notebook = student_notebook(tmp_path / "alice.ipynb", [SUBMISSION, "raise RuntimeError('a later cell fails')"])
    done = subprocess.run([sys.executable, "-m", "mlkit.grade", str(notebook), "--json", str(tmp_path / "g.json")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == f"{notebook}:"
    assert lines[1].split()[:4] == ["inner_step", "2", "/", "2"]
    assert lines[2].split()[:4] == ["meta_gradient", "0", "/", "2"] and "before the step" in lines[2]
    assert lines[3].split()[:4] == ["meta_train_step", "0", "/", "3"] and "not defined yet" in lines[3]
    assert lines[4].split() == ["total", "2", "/", "7"]
    grades = json.loads((tmp_path / "g.json").read_text())[str(notebook)]
    assert [g["score"] for g in grades] == [2, 0, 0]


def test_which_exercises_comes_from_the_metadata_or_the_file_name(tmp_path: Path) -> None:
    assert exercises_of(student_notebook(tmp_path / "renamed.ipynb", ["x = 1"])) == "01_sine_regression"
    assert exercises_of(student_notebook(tmp_path / "01_mine.ipynb", ["x = 1"], None)) == "01_sine_regression"
    with pytest.raises(ValueError, match="names no exercises in its metadata"):
        exercises_of(student_notebook(tmp_path / "essay.ipynb", ["x = 1"], None))
    (tmp_path / "not.ipynb").write_text("not json")
    with pytest.raises(ValueError, match="is not a Jupyter notebook"):
        exercises_of(tmp_path / "not.ipynb")


def test_bad_paths_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="submission not found: .*missing.ipynb"):
        submissions([tmp_path / "missing.ipynb"])
    with pytest.raises(ValueError, match="no notebooks in"):
        submissions([tmp_path])
    done = subprocess.run([sys.executable, "-m", "mlkit.grade", str(tmp_path / "missing.ipynb")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2 and done.stderr.startswith("error: submission not found")
