"""Lesson 07: its code solution gives the table the solutions page states, and the notebook's measurements that
replaced the other code solutions are where the lesson says they are."""
import importlib.util
import math
import re
import runpy
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "lessons" / "solutions" / "07_metric_learners.md"


def load_ceiling():
    spec = importlib.util.spec_from_file_location("metric_solution_ceiling", ROOT / "lessons" / "solutions" /
                                                  "07_ceiling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ceiling_table_of_the_solutions_page_is_what_07_ceiling_computes():
    solution = load_ceiling()
    rows = re.findall(r"^\| (\d+) \| (-?\d) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", PAGE.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    assert len(rows) == 4, rows
    for n_way, lowest, ceiling, loss, tau in rows:
        n_way, lowest = int(n_way), float(lowest)
        value = solution.ceiling(n_way, lowest)
        assert f"{value:.3f}" == ceiling and f"{-math.log(value):.2f}" == loss
        temperature = solution.temperature_for(0.9, n_way, lowest)
        assert f"{temperature:.3f}" == tau and math.isclose(solution.ceiling(n_way, lowest, temperature), 0.9)


def test_07_ceiling_runs_and_prints_one_line_per_row(capsys):
    runpy.run_path(str(ROOT / "lessons" / "solutions" / "07_ceiling.py"), run_name="__main__")  # asserts inside
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and all("ceiling" in line and "temperature" in line for line in lines)


def test_the_questions_point_to_notebook_sections_that_hold_their_measurements():
    book = nbformat.read(ROOT / "notebooks" / "07_metric_learners.ipynb", as_version=4)
    headings = {m.group(1): m.group(2) for cell in book.cells if cell.cell_type == "markdown"
                for m in re.finditer(r"^## (\d+)\. (.+)$", cell.source, flags=re.MULTILINE)}
    assert "linear classifier" in headings["6"]  # question 1
    assert "embedding" in headings["7"]  # question 2: Euclidean or cosine, after the explorer
    assert "Matching Networks trained" in headings["9"]  # question 4: one shot
    assert "Siamese" in headings["11"]  # question 5
    sources = {cell.source for cell in book.cells if cell.cell_type == "code"}
    for called in ("linear_reading(", 'distance="cosine"', "matching_against_prototypes(", "siamese_pairs("):
        assert any(called in source for source in sources), called
