"""mlkit/exercises/feedback.py: what a check says before the maths -- undefined, wrong parameters, the stub, an
error inside the student's code -- and the shape and value comparisons."""
from __future__ import annotations

import pytest
import torch

from mlkit.exercises.feedback import (Hint, call, close, expect_tensor, expect_weights, largest_difference,
                                      student_function)


def message(function, *args) -> str:
    with pytest.raises(Hint) as raised:
        function(*args)
    return str(raised.value)


def test_student_function_names_what_is_missing_or_mismatched() -> None:
    assert "`f` is not defined yet: run the cell" in message(student_function, None, "f", ("a",))
    assert "`f` should be a function, but it is a int" in message(student_function, 3, "f", ("a",))
    assert "`f` should take (a, b); yours takes (a)" in message(student_function, lambda a: a, "f", ("a", "b"))
    assert student_function(print, "f", ("a", "b")) is print  # builtins are trusted
    assert student_function(lambda a, b=2: a, "f", ("a",)) is not None


def test_call_turns_stubs_and_errors_into_one_sentence() -> None:
    def stub(x):
        ...

    def unwritten(x):
        raise NotImplementedError

    def broken(x):
        return x / "two"

    assert "`f` returned None: it is still the stub" in message(call, stub, "f", 1)
    assert "`f` returned `...`: it is still the stub" in message(call, lambda x: ..., "f", 1)
    assert "`f` is not written yet" in message(call, unwritten, "f", 1)
    text = message(call, broken, "f", 1)
    assert text.startswith("`f` raised TypeError: unsupported operand") and "of the cell that defines it" in text
    assert call(lambda x: x + 1, "f", 1) == 2


def test_expectations_name_the_shape_type_and_values() -> None:
    assert "has shape (2, 3), expected (3, 2)" in message(expect_tensor, torch.zeros(2, 3), "the result", (3, 2))
    assert "should be a tensor of shape (3,), got a list" in message(expect_tensor, [1, 2, 3], "the result", (3,))
    assert "holds torch.int64 values" in message(expect_tensor, torch.zeros(3, dtype=torch.long), "x", (3,))
    assert "NaN or infinite" in message(expect_tensor, torch.tensor([1.0, float("nan")]), "x", (2,))
    like = {"w": torch.zeros(2), "b": torch.zeros(1)}
    assert "missing ['b']" in message(expect_weights, {"w": torch.zeros(2)}, "θ'", like)
    assert "θ'['b'] has shape (2,), expected (1,)" in message(expect_weights, {"w": torch.zeros(2),
                                                                               "b": torch.zeros(2)}, "θ'", like)


def test_close_and_largest_difference_work_on_tensors_and_lists() -> None:
    a, b = [torch.ones(2), torch.zeros(3)], [torch.ones(2), torch.full((3,), 1e-3)]
    assert not close(a, b) and close(a, b, atol=1e-2)
    assert largest_difference(a, b) == pytest.approx(1e-3)
    assert close(torch.ones(2), torch.ones(2) + 1e-7)


def test_weights_built_in_another_order_are_accepted_in_thetas_order() -> None:
    like = {"w": torch.zeros(2), "b": torch.zeros(1)}
    got = expect_weights({"b": torch.ones(1), "w": torch.ones(2)}, "θ'", like)
    assert list(got) == ["w", "b"] and torch.equal(got["b"], torch.ones(1))
