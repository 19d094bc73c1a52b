"""mlkit/widgets/polynomial.py: the order/steps explorer prints what ``evaluate`` gives and the mask it used."""
import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from mlkit.evaluate import evaluate  # noqa: E402
from mlkit.tasks.batch import TaskBatch  # noqa: E402
from mlkit.widgets import polynomial  # noqa: E402


class OneTask:
    def __init__(self, batch) -> None:
        self.batch = batch

    def sample(self, n_tasks=None):
        return self.batch


@pytest.mark.parametrize("order, alpha, shots, steps", [(0, 0.01, 10, 1), (2, 0.02, 7, 4)])
def test_printed_mse_and_units_match_the_adaptation(order, alpha, shots, steps, capsys):
    polynomial.show_polynomial(order, alpha, shots, steps, task_seed=3)
    out = capsys.readouterr().out
    printed = float(re.search(r"MSE = (\d+\.\d{3})", out).group(1))
    meta, pool = polynomial.load_polynomial_model(order), polynomial.polynomial_task(order, 3)
    task = TaskBatch(pool.x_support[:, :shots], pool.y_support[:, :shots], pool.x_query, pool.y_query)
    torch.manual_seed(3)
    score = evaluate(meta, OneTask(task), n_tasks=1, steps=steps, alpha=alpha)
    assert printed == pytest.approx(score.mean, abs=5e-4)
    torch.manual_seed(3)
    mask = meta.adapt(task.x_support, task.y_support, steps=steps, alpha=alpha).extras["mask"]
    units = re.search(r"w1 (\d+)/40", out).group(1)
    assert int(units) == int(mask["w1"].sum())


def test_order_out_of_range_is_refused():
    with pytest.raises(ValueError, match="order must be an integer >= 0 and <= 2, got 3"):
        polynomial.load_polynomial_model(3)


def test_explorer_offers_order_alpha_shots_and_steps_starting_from_the_given_values():
    controls = polynomial.polynomial_explorer(order=2, alpha=0.05, shots=7, steps=3).children
    sliders = {c.description: c.value for c in controls if hasattr(c, "description")}
    assert list(sliders) == ["order", "α (test step)", "shots K", "steps"]
    assert sliders["order"] == 2 and sliders["α (test step)"] == pytest.approx(0.05) and sliders["shots K"] == 7
    assert sliders["steps"] == 3


def test_bad_alpha_and_shots_are_named():
    with pytest.raises(ValueError, match="alpha must be a finite number > 0, got 0"):
        polynomial.adapt_polynomial(1, alpha=0)
    with pytest.raises(ValueError, match="shots must be an integer >= 1 and <= 20, got 21"):
        polynomial.adapt_polynomial(1, shots=21)


def test_the_plain_twin_prints_what_the_explorer_prints_on_one_line_without_a_plot(capsys):
    import matplotlib.pyplot as plt

    polynomial.show_polynomial(2, 0.02, 7, 4, task_seed=3)
    shown = capsys.readouterr().out
    plt.close("all")
    mse = polynomial.polynomial_errors(2, 0.02, 7, 4, task_seed=3)
    out = capsys.readouterr().out.strip()
    assert not plt.get_fignums() and len(out.splitlines()) == 1
    assert out.startswith("order 2, α = 0.02, K = 7, 4 steps: MSE = ")
    assert re.search(r"MSE = (\d+\.\d{3})", shown).group(1) == f"{mse:.3f}"
    assert re.search(r"units updated: (.*)", shown).group(1) in out
