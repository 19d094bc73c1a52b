"""Scores of models trained live, as text and Markdown tables: every number marked "≈" (``mlkit.live.approx``),
because its last digits depend on the CPU's floating-point kernels."""
from __future__ import annotations

from typing import Mapping, Sequence

from mlkit.evaluate import Score
from mlkit.experiments.report import markdown_table
from mlkit.live import approx


def live_score(score: Score | str | None, digits: int = 2) -> str:
    """``"≈0.53 ± ≈0.04"`` (mean and 95% interval); ``"diverged"`` for None (an adaptation that blew up); a string
    is shown as it is (a note in a table cell)."""
    if score is None:
        return "diverged"
    if isinstance(score, str):
        return score
    return f"{approx(score.mean, digits)} ± {approx(score.ci95, digits)}"


def live_table(header: Sequence[str], rows: Mapping[str, Sequence[Score | str | None]], digits: int = 2) -> str:
    """A Markdown table, one row per ``rows`` key (its first cell) followed by its scores as ``live_score``."""
    return markdown_table(header, [[name, *(live_score(s, digits) for s in scores)] for name, scores in rows.items()])
