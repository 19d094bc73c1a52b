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


def check_bool(name: str, value: Any) -> bool:
    """``True`` or ``False`` (not a string such as "false", which Python would read as true)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def check_finite(name: str, tensor: Any) -> Any:
    """A tensor whose every value is finite (no NaN, no ±inf)."""
    import torch

    finite = torch.isfinite(tensor)
    if not bool(finite.all()):
        nan = int(torch.isnan(tensor).sum())
        raise ValueError(f"{name} must hold finite numbers, got {nan} NaN and {int((~finite).sum()) - nan} "
                         f"infinite of {tensor.numel()} values")
    return tensor


def check_device(name: str, value: Any) -> Any:
    """A device torch knows and this machine has: "cpu", "cuda", "cuda:N" (N < the number of GPUs), "mps"..."""
    import torch

    try:
        device = torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{name} must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {value!r}") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"{name} {value!r} needs a CUDA GPU, and this machine has none (use 'cpu' or 'auto')")
        if device.index is not None and device.index >= count:
            raise ValueError(f"{name} must be cuda:0..cuda:{count - 1} (the GPUs of this machine), got {value!r}")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{name} {value!r} needs Apple's MPS, which this machine lacks (use 'cpu' or 'auto')")
    elif device.type not in ("cpu", "mps"):
        raise ValueError(f"{name} must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {value!r}")
    return device


class Diverged(ArithmeticError):
    """A computation gave non-finite numbers (NaN or inf) where a result was expected: a diverged adaptation or
    training run, reported as such instead of a NaN score. The command line exits 3 on it."""
