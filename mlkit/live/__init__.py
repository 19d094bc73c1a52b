"""Live training for the notebooks' quick mode: small, real meta-training runs a student watches (well under a minute
on two laptop CPU cores, with a progress bar and a curve), one module per notebook topic.

Every module returns what its notebook shows and what the notebook's claim test (``tests/live/``) checks, so the
claim is tested on the same code the student runs, not on a stored number. Conventions:

- runs are seeded: the same seed gives the same tasks, initial weights and training order;
- a number that depends on a model trained live is printed through ``approx`` (``"≈0.53"``): the CPU's
  floating-point kernels (plain, AVX2, AVX-512) change the last digits of a long training run, and the notebooks'
  stored-output check (``tests/nbval_sanitize.cfg``) hides exactly the numbers marked "≈". Numbers computed from the
  shipped checkpoints are printed plainly, at a precision float noise cannot flip.
"""
from __future__ import annotations

import math


def approx(value: float, digits: int = 2, percent: bool = False) -> str:
    """``"≈0.53"`` (``digits`` after the point; ``percent=True``: ``value`` is a fraction shown as ``"≈61.2 %"``)."""
    if not math.isfinite(value):
        return "diverged"
    return f"≈{100 * value:.{digits}f} %" if percent else f"≈{value:.{digits}f}"
