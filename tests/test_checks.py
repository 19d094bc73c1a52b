"""Argument checks name the parameter, the allowed range and the value received."""
import pytest

from mlkit.checks import check_choice, check_int, check_positive, check_range


@pytest.mark.parametrize("value", [-1, 0, float("nan"), float("inf"), "0.1", None, True])
def test_step_sizes(value):
    with pytest.raises(ValueError, match=r"^alpha must be a finite number > 0, got "):
        check_positive("alpha", value)


def test_valid_values_pass_through():
    assert check_positive("alpha", 0.01) == 0.01
    assert check_positive("beta", 0, allow_zero=True) == 0.0
    assert check_int("k_shot", 5) == 5
    assert check_range("p", 0.5, 0, 1) == 0.5
    assert check_choice("split", "val", ("train", "val")) == "val"


@pytest.mark.parametrize("value", [0, 2.5, "3", 11])
def test_integers(value):
    with pytest.raises(ValueError, match=r"^n_way must be an integer >= 1 and <= 10, got "):
        check_int("n_way", value, 1, 10)


def test_range():
    with pytest.raises(ValueError, match=r"dropout must be a finite number in \[0, 1\], got 1.5"):
        check_range("dropout", 1.5, 0, 1)
