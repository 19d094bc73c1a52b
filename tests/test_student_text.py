"""What students read — notebook markdown, lessons and their solutions — cites papers, writes equations in LaTeX
and names nothing outside the repository (no internal labels of the source documents, no reference files)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS = sorted((ROOT / "lessons").rglob("*.md"))
# internal labels of the project's source documents and files that are not in the repository
OUTSIDE = re.compile(r"\b[Ss]eeds? 00\d|\bseed (document|file)s?\b|\bPROTOCOLS\b|\bPEERS\b|DESIGN\.md|\.\./shared|"
                     r"shared/(seeds|reference|data)")
MATH = re.compile(r"[α-ωΑ-Ω∇⊙∑∏∂√≈≤≥≠⋯∈∉⊂⊆∞∫‖ℓ]")  # mathematical symbols that belong inside $...$
MACHINE = re.compile(r"idle machine|were busy|while (the|it) .{0,20}busy|2 shared CPU cores|on this machine", re.I)


def prose(text: str) -> str:
    """``text`` without LaTeX ($...$, $$...$$), code blocks and code spans: what is left must hold no math symbol."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    return re.sub(r"`[^`\n]+`", " ", text)


def student_texts() -> list[tuple[str, str]]:
    texts = [(f"{p.relative_to(ROOT)}", p.read_text(encoding="utf-8")) for p in LESSONS]
    for path in NOTEBOOKS:
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "markdown":
                texts.append((f"{path.name} cell {i}", cell.source))
    return texts


@pytest.mark.parametrize("where, text", student_texts(), ids=lambda v: v if len(v) < 60 else None)
def test_no_internal_labels_or_files_outside_the_repository(where: str, text: str) -> None:
    found = sorted({m.group(0) for m in OUTSIDE.finditer(text)})
    assert not found, f"{where} names {found}: cite the paper (authors, year, section, equation) instead"


@pytest.mark.parametrize("where, text", student_texts(), ids=lambda v: v if len(v) < 60 else None)
def test_equations_are_latex(where: str, text: str) -> None:
    lines = [line.strip() for line in prose(text).splitlines() if MATH.search(line)]
    assert not lines, f"{where}: math outside $...$ in: {lines[:3]}"


@pytest.mark.parametrize("where, text", student_texts(), ids=lambda v: v if len(v) < 60 else None)
def test_no_machine_timings(where: str, text: str) -> None:
    found = [m.group(0) for m in MACHINE.finditer(text)]
    assert not found, f"{where} speaks of one machine's load ({found}); give the budget (e.g. 'under a minute')"


def test_the_checks_catch_what_they_should() -> None:
    assert OUTSIDE.search("see Seed 003 (Lee 2018)") and OUTSIDE.search("as PROTOCOLS.md says")
    assert OUTSIDE.search("(yoonholee/MT-net, PROTOCOLS §1)")
    assert not OUTSIDE.search("seed 0 (parameter `seed`) and Lee (2018), eq. 4.3")
    assert prose("the step $\\alpha$ and `α = 0.01` and\n```\nθ' = θ\n```") .count("α") == 0
    assert MATH.search(prose("the step size α"))


def test_package_docstrings_name_nothing_outside_the_repository() -> None:
    """The package's docstrings become the API reference (``make docs``): they cite papers and the authors' public
    code, never the project's internal reference files."""
    found = {f"{path.relative_to(ROOT)}: {m.group(0)}" for path in sorted((ROOT / "mlkit").rglob("*.py"))
             for m in OUTSIDE.finditer(path.read_text(encoding="utf-8"))}
    assert not found, sorted(found)
