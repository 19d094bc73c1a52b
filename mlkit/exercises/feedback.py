"""What an exercise check says when a student's code is not right yet: one ``Hint``, in words a student understands.

A check meets the student's function in this order, and stops at the first thing that is wrong:

1. ``student_function``: the name is defined, is a function, and takes the parameters the exercise asks for;
2. ``call``: calling it neither raises (the error is reported with its line in the student's cell) nor returns the
   stub's ``...`` / ``None``;
3. ``expect_shape`` / ``expect_close`` and the exercise's own comparisons: the result has the expected shape and
   equals the paper's equation computed by mlkit on the same fixed inputs; where it does not, the exercise module
   names the mistake it recognises (a wrong sign, a missing square, support and query swapped, ...).

Every failure is a ``Hint`` (an ``AssertionError``, which otter-grader reports as a failed test case); nothing here
prints a traceback at a student.
"""
from __future__ import annotations

import inspect
import traceback
from typing import Any, Callable, Sequence

import torch
from torch import Tensor


class Hint(AssertionError):
    """What is wrong with a student's code, as one readable sentence (raised by the exercise checks)."""


def student_function(function: Any, name: str, parameters: Sequence[str]) -> Callable[..., Any]:
    """``function`` (looked up in the notebook under ``name``) if it can be called with ``parameters``."""
    if function is None:
        raise Hint(f"`{name}` is not defined yet: run the cell that defines it, then run this check again")
    if not callable(function):
        raise Hint(f"`{name}` should be a function, but it is a {type(function).__name__}")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin or C function: trust it
        return function
    try:
        signature.bind(*parameters)
    except TypeError:
        raise Hint(f"`{name}` should take ({', '.join(parameters)}); yours takes "
                   f"({', '.join(signature.parameters)})") from None
    return function


def _where(error: BaseException, function: Callable[..., Any]) -> str:
    """' (line N of the cell that defines it)' for the deepest frame of ``error`` in ``function``'s cell."""
    code = getattr(function, "__code__", None)
    if code is None:
        return ""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
             if frame.filename == code.co_filename]
    return f" (line {lines[-1]} of the cell that defines it)" if lines else ""


def call(function: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``; an exception inside it, or the stub's result, becomes a ``Hint``."""
    try:
        result = function(*args, **kwargs)
    except NotImplementedError:
        raise Hint(f"`{name}` is not written yet: replace `raise NotImplementedError` with your code") from None
    except Hint:
        raise
    except Exception as error:  # the student's bug, reported in one line with where it happened
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise Hint(f"`{name}` raised {type(error).__name__}{': ' + message if message else ''}"
                   f"{_where(error, function)}") from None
    if result is Ellipsis or result is None:
        raise Hint(f"`{name}` returned {'`...`' if result is Ellipsis else 'None'}: it is still the stub. Replace "
                   "the `...` with your code, ending in `return` and your result")
    return result


def shape_of(value: Any) -> tuple[int, ...] | None:
    return tuple(value.shape) if isinstance(value, Tensor) else None


def expect_tensor(value: Any, what: str, shape: Sequence[int]) -> Tensor:
    """``value`` as a float tensor of ``shape``, or a ``Hint`` saying what it is instead."""
    if not isinstance(value, Tensor):
        raise Hint(f"{what} should be a tensor of shape {tuple(shape)}, got a {type(value).__name__}")
    if tuple(value.shape) != tuple(shape):
        raise Hint(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}")
    if not torch.is_floating_point(value):
        raise Hint(f"{what} holds {value.dtype} values; it should hold floats")
    if not torch.isfinite(value).all():
        raise Hint(f"{what} holds NaN or infinite values")
    return value


def expect_weights(value: Any, what: str, like: dict[str, Tensor]) -> dict[str, Tensor]:
    """``value`` as a dict with the names and shapes of ``like`` (weights θ), in θ's order, or a ``Hint``."""
    if not isinstance(value, dict):
        raise Hint(f"{what} should be a dict {{name: tensor}} like θ, got a {type(value).__name__}")
    if set(value) != set(like):
        missing, extra = [n for n in like if n not in value], [n for n in value if n not in like]
        raise Hint(f"{what} should have the names of θ {list(like)}"
                   + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else ""))
    for name, tensor in like.items():
        expect_tensor(value[name], f"{what}[{name!r}]", tensor.shape)
    return {name: value[name] for name in like}  # in θ's order, whatever order the student built them in


def largest_difference(got: Tensor | Sequence[Tensor], want: Tensor | Sequence[Tensor]) -> float:
    """max |got − want| over one tensor or matching sequences of tensors."""
    pairs = zip(got, want) if isinstance(got, (list, tuple)) else [(got, want)]
    return max(float((g.detach() - w.detach()).abs().max()) for g, w in pairs)


def close(got: Tensor | Sequence[Tensor], want: Tensor | Sequence[Tensor], atol: float = 1e-5,
          rtol: float = 1e-4) -> bool:
    """Whether ``got`` equals ``want`` (tensors, or matching sequences of tensors) within float tolerance."""
    pairs = zip(got, want) if isinstance(got, (list, tuple)) else [(got, want)]
    return all(torch.allclose(g.detach(), w.detach(), atol=atol, rtol=rtol) for g, w in pairs)
