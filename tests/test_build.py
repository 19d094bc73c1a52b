"""mlkit/build.py: ``make run`` (executed notebooks, HTML with images, an index in order) and ``make student``."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlkit import build

ROOT = Path(__file__).resolve().parents[1]


def tiny_notebook(path: Path, heading: str, body: str) -> Path:
    """A notebook in the project's shape: a heading, a ``parameters`` cell, then ``body``."""
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell("full: bool = False  # paper-scale run\nseed: int = 0  # random seed")
    parameters.metadata["tags"] = ["parameters"]
    book.cells = [nbformat.v4.new_markdown_cell(f"# {heading}\nquick mode 1 s, full mode 1 s"), parameters,
                  nbformat.v4.new_code_cell(body)]
    nbformat.write(book, path)
    return path


PLOT = """import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
import matplotlib.pyplot as plt
plt.plot([0, 1], [seed, 1]); plt.show()
print(f"seed = {seed}, full = {full}")"""


def test_student_copies_have_no_outputs_and_keep_every_cell(tmp_path: Path) -> None:
    source = tmp_path / "notebooks"
    source.mkdir()
    book = nbformat.read(tiny_notebook(source / "00_tiny.ipynb", "Tiny", "print(1)"), as_version=4)
    book.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    book.cells[2].execution_count = 1
    injected = nbformat.v4.new_code_cell("seed = 3")
    injected.metadata["tags"] = ["injected-parameters"]
    book.cells.insert(2, injected)
    book.metadata["papermill"] = {"input_path": "/somewhere/00_tiny.ipynb"}
    book.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(book, source / "00_tiny.ipynb")

    done = subprocess.run([sys.executable, "-m", "mlkit.build", "student", "--notebooks", str(source),
                           "--out", str(tmp_path / "student")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    copy = nbformat.read(tmp_path / "student" / "00_tiny.ipynb", as_version=4)
    assert [c.source for c in copy.cells] == [book.cells[i].source for i in (0, 1, 3)]  # injected cell dropped
    assert copy.cells[1].metadata["tags"] == ["parameters"]
    assert all(c.outputs == [] and c.execution_count is None for c in copy.cells if c.cell_type == "code")
    assert "papermill" not in copy.metadata and "widgets" not in copy.metadata


def test_student_versions_of_the_project_notebooks(tmp_path: Path) -> None:
    """Every cell stays except the teacher's solution cells; code cells lose their solutions, nothing else."""
    sources = build.notebooks()
    if not sources:
        pytest.skip("no notebooks in notebooks/ yet")
    written = build.student(tmp_path, sources)
    assert [p.name for p in written] == [p.name for p in sources]
    for source, copy in zip(sources, written):
        original, student = (nbformat.read(p, as_version=4) for p in (source, copy))
        kept = [c for c in original.cells if build.SOLUTION_TAG not in c.metadata.get("tags", [])]
        assert [c.id for c in student.cells] == [c.id for c in kept], copy.name
        for teacher, stub in zip(kept, student.cells):
            if "BEGIN SOLUTION" not in teacher.source and "# SOLUTION" not in teacher.source:
                assert stub.source == teacher.source, copy.name
        assert not any(c.get("outputs") for c in student.cells), copy.name


STEP = '''def step(theta, grad, alpha):
    """θ − α g"""
    # BEGIN SOLUTION
    return theta - alpha * grad
    # END SOLUTION


answer = 42  # SOLUTION
exercises.check("step")'''


def test_a_solution_becomes_a_stub_and_the_answers_cell_goes(tmp_path: Path) -> None:
    source = tmp_path / "notebooks"
    source.mkdir()
    path = tiny_notebook(source / "00_tiny.ipynb", "Tiny", "print(1)")
    book = nbformat.read(path, as_version=4)
    book.cells.append(nbformat.v4.new_code_cell(STEP))
    answers = nbformat.v4.new_markdown_cell("**Answers.** 42.")
    answers.metadata["tags"] = ["solution"]
    book.cells.append(answers)
    nbformat.write(book, path)
    build.student(tmp_path / "student", [path])
    student = nbformat.read(tmp_path / "student" / "00_tiny.ipynb", as_version=4)
    assert student.cells[-1].source == ('def step(theta, grad, alpha):\n    """θ − α g"""\n    ...\n\n\nanswer = ...\n'
                                        'exercises.check("step")')
    assert len(student.cells) == len(book.cells) - 1


def test_notebooks_are_listed_in_number_order(tmp_path: Path) -> None:
    for name in ("10_last", "02_middle", "00_first"):
        tiny_notebook(tmp_path / f"{name}.ipynb", name.split("_")[1], "pass")
    (tmp_path / "scratch.ipynb").write_text("{}")  # not numbered: not a course notebook
    assert [p.stem for p in build.notebooks(tmp_path)] == ["00_first", "02_middle", "10_last"]


def test_write_index_links_every_notebook_in_order_with_title_and_time(tmp_path: Path) -> None:
    rows = [build.Rendered("00_first", "First <steps>", 12.4), build.Rendered("02_middle", "Middle", 3.0),
            build.Rendered("10_last", "Last", 61.0, failed=True)]
    page = build.write_index(tmp_path, rows).read_text()
    assert re.findall(r'<a href="([^"]+)\.html">', page) == ["00_first", "02_middle", "10_last"]
    assert re.findall(r'<a href="([^"]+)\.ipynb">', page) == ["00_first", "02_middle", "10_last"]
    assert "First &lt;steps&gt; (" in page and "12 s)" in page
    assert "FAILED after 61 s" in page and "76 s in all" in page
    assert "API reference" not in page
    linked = build.write_index(tmp_path, rows, api="api/index.html").read_text()
    assert '<a href="api/index.html">API reference</a>' in linked


def test_run_renders_html_with_images_and_keeps_going_past_a_failing_notebook(tmp_path: Path) -> None:
    source = tmp_path / "notebooks"
    source.mkdir()
    tiny_notebook(source / "00_broken.ipynb", "Broken", "raise ValueError('seed must be an integer')")
    tiny_notebook(source / "01_plot.ipynb", "A plot", PLOT)
    out = tmp_path / "build"
    code = build.main(["run", "--notebooks", str(source), "--out", str(out), "--no-api"])  # API: test_apidocs.py
    assert code == 1  # one notebook failed: make run fails, after rendering both
    page = (out / "01_plot.html").read_text()
    assert "data:image/png;base64," in page and "seed = 0, full = False" in page
    assert "ValueError" in (out / "00_broken.html").read_text()
    index = (out / "index.html").read_text()
    assert re.findall(r'<a href="([^"]+)\.html">', index) == ["00_broken", "01_plot"]
    assert "FAILED" in index.split("01_plot")[0] and "A plot" in index
    executed = json.loads((out / "01_plot.ipynb").read_text())
    assert executed["metadata"]["papermill"]["input_path"] == "01_plot.ipynb"  # no machine path stored
    assert str(tmp_path) not in (out / "01_plot.ipynb").read_text()


def test_headless_switch_is_scoped_to_the_run(tmp_path, monkeypatch):
    """``execute`` makes the kernel headless but leaves the caller's environment as it found it."""
    import os

    import nbformat

    from mlkit.build import execute
    from mlkit.widgets import HEADLESS_ENV

    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("import os\nprint(os.environ.get('MLKIT_HEADLESS'))")]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, tmp_path / "probe.ipynb")
    execute(tmp_path / "probe.ipynb", tmp_path / "out.ipynb")
    assert nbformat.read(tmp_path / "out.ipynb", 4).cells[0].outputs[0]["text"] == "1\n"
    assert HEADLESS_ENV not in os.environ
