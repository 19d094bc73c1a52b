"""The default values of a notebook's parameters cell: the claim tests train what quick mode trains."""
import ast
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def parameters(name: str) -> dict:
    """{name: default value} of the cell tagged ``parameters`` in ``notebooks/<name>``."""
    cell = next(c for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells
                if "parameters" in c.metadata.get("tags", []))
    return {s.target.id: ast.literal_eval(s.value) for s in ast.parse(cell.source).body}
