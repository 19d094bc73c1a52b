"""mlkit/widgets/polynomial.py: the order/steps explorer prints what ``evaluate`` gives and the mask it used."""
import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from mlkit.evaluate import evaluate  # noqa: E402
from mlkit.widgets import polynomial  # noqa: E402


class OneTask:
    def __init__(self, batch) -> None:
        self.batch = batch

    def sample(self, n_tasks=None):
        return self.batch


@pytest.mark.parametrize("order, steps", [(0, 1), (2, 4)])
def test_printed_mse_and_units_match_the_adaptation(order, steps, capsys):
    polynomial.show_polynomial(order, steps, task_seed=3)
    out = capsys.readouterr().out
    printed = float(re.search(r"MSE = (\d+\.\d{3})", out).group(1))
    meta, task = polynomial.load_polynomial_model(order), polynomial.polynomial_task(order, 3)
    torch.manual_seed(3)
    assert printed == pytest.approx(evaluate(meta, OneTask(task), n_tasks=1, steps=steps).mean, abs=5e-4)
    torch.manual_seed(3)
    mask = meta.adapt(task.x_support, task.y_support, steps=steps).extras["mask"]
    units = re.search(r"w1 (\d+)/40", out).group(1)
    assert int(units) == int(mask["w1"].sum())


def test_order_out_of_range_is_refused():
    with pytest.raises(ValueError, match="order must be an integer >= 0 and <= 2, got 3"):
        polynomial.load_polynomial_model(3)


def test_explorer_offers_order_and_steps():
    controls = polynomial.polynomial_explorer().children
    assert [c.description for c in controls if hasattr(c, "description")][:2] == ["order", "steps"]
