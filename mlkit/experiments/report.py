"""Writing a reproduction's results: one JSON file for programs, one Markdown table for people.

Every table puts the paper's number beside ours, so a reader checks a reproduction at a glance:
``| MAML | 1.07 ± 0.11 | 0.68 ± 0.06 |``. Scores are dicts ``{"mean", "ci95", "n"}`` (see ``mlkit.evaluate.Score``);
a cell that has no finite score says why (``"diverged at step 812"``) instead of printing NaN.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

Cell = Any  # a score dict, a plain number, a string, or None
QUICK_MARK = " (QUICK run: pipeline check, not a reproduction)"  # appended to the title of a --quick table


def format_score(score: dict[str, Any] | None, digits: int = 2) -> str:
    """``{"mean": 0.712, "ci95": 0.043}`` -> ``"0.71 ± 0.04"``; missing -> ``"–"``; a ``note`` key wins."""
    if score is None:
        return "–"
    if score.get("note"):
        return str(score["note"])
    mean, ci = score.get("mean"), score.get("ci95")
    if mean is None or not math.isfinite(mean):
        return "diverged"
    text = f"{mean:.{digits}f}"
    if ci is not None and math.isfinite(ci):
        text += f" ± {ci:.{digits}f}"
    return text + score.get("mark", "")


def format_cell(cell: Cell, digits: int = 2) -> str:
    if isinstance(cell, dict) or cell is None:
        return format_score(cell, digits)
    if isinstance(cell, float):
        return f"{cell:.{digits}f}" if math.isfinite(cell) else "diverged"
    return str(cell)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Cell]], digits: int = 2) -> str:
    """A GitHub Markdown table; score dicts become ``mean ± ci``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(format_cell(c, digits) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: non-finite numbers are stored as null (and shown as "diverged")."""
    return value if value is not None and math.isfinite(value) else None


def out_dir_flag(out_dir: str | Path) -> str:
    """The ``--out-dir`` part of the command line that wrote a result (empty for the default folder)."""
    return "" if str(out_dir) == "results" else f" --out-dir {out_dir}"


def timing(result: dict[str, Any]) -> str:
    """How long the command took, and how long the (possibly cached) trainings it used took when they ran."""
    return (f"this command took {result['wall_s']:.0f} s; training the runs it uses took "
            f"{result['train_wall_s']:.0f} s (wall time summed over runs, measured when each was trained).")


def write_result(
    name: str, result: dict[str, Any], markdown: str, out_dir: str | Path, as_json: bool
) -> dict[str, Any]:
    """Write ``<out_dir>/<name>.json`` and ``.md``, print the Markdown (or the JSON), return ``result``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, allow_nan=False)
    (out / f"{name}.json").write_text(text + "\n")
    (out / f"{name}.md").write_text(markdown + "\n")
    print(text if as_json else markdown)
    return result


def load_result(name: str, folder: str | Path | None = None) -> dict[str, Any]:
    """A result written by ``write_result``; by default the one shipped in ``mlkit/results/``."""
    folder = Path(folder) if folder is not None else Path(__file__).resolve().parents[1] / "results"
    path = folder / f"{name}.json"
    if not path.is_file():
        raise ValueError(f"no result {name!r} in {folder}: run `python -m mlkit reproduce {name}` first")
    return json.loads(path.read_text())
