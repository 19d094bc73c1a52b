"""Lesson 09: its code solution prints the numbers the solutions page states."""
import re
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "lessons" / "solutions" / "09_your_alphabet.py"
PAGE = ROOT / "lessons" / "solutions" / "09_your_alphabet.md"


def test_09_your_alphabet_py_prints_the_numbers_of_the_solutions_page(capsys):
    runpy.run_path(str(SOLUTION), run_name="__main__")
    out = capsys.readouterr().out
    page = " ".join(PAGE.read_text(encoding="utf-8").split())
    assert "60 of 60 drawings give exactly the same image" in out and "all 60 drawings" in page
    printed = re.findall(r"\d+\.\d %", out)
    assert len(printed) == 10, out
    for value in printed:
        assert value in page, f"{value} is printed by the solution but not stated on the solutions page"
