"""Argument checks shared by every public constructor.

Each check raises ``ValueError`` naming the parameter, the allowed range and the value it got, so
that a student who passes ``alpha=-0.1`` reads what is wrong and what would be right.
"""
from __future__ import annotations

import math
from typing import Any, Iterable


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_int(name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer in ``[minimum, maximum]``."""
    upper = "" if maximum is None else f" and <= {maximum}"
    if isinstance(value, bool) or not isinstance(value, int) and not (
        hasattr(value, "__index__") and not isinstance(value, float)
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}{upper}, got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer >= {minimum}{upper}, got {value}")
    return value


def check_positive(name: str, value: Any, allow_zero: bool = False) -> float:
    """A finite number > 0 (or >= 0 with ``allow_zero``): step sizes, temperatures, weights."""
    bound = ">= 0" if allow_zero else "> 0"
    if not _is_number(value) or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def check_range(name: str, value: Any, low: float, high: float) -> float:
    """A finite number in the closed interval ``[low, high]``."""
    if not _is_number(value) or not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a finite number in [{low}, {high}], got {value!r}")
    return float(value)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """One of a fixed set of names."""
    choices = list(choices)
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
