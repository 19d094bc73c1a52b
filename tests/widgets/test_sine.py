"""mlkit/widgets/sine.py: the explorer prints the MSE that ``evaluate`` gives on the same task, and draws that curve."""
import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from mlkit.evaluate import evaluate  # noqa: E402
from mlkit.tasks.batch import TaskBatch  # noqa: E402
from mlkit.widgets import sine  # noqa: E402


class OneTask:
    """A sampler that always hands out the same batch (for ``evaluate``)."""

    def __init__(self, batch: TaskBatch) -> None:
        self.batch = batch

    def sample(self, n_tasks=None) -> TaskBatch:
        return self.batch


@pytest.mark.parametrize("method, alpha, shots, steps", [("maml", 0.05, 7, 2), ("mtnet", 0.01, 10, 1), ("metasgd", 0.3, 3, 1)])
def test_printed_mse_equals_evaluate_on_that_task(method, alpha, shots, steps, capsys):
    sine.show_adaptation(method, alpha=alpha, shots=shots, steps=steps, task_seed=2)
    printed = float(re.search(r"MSE = ([\d.e+]+)", capsys.readouterr().out).group(1))  # 0.123, or 3 digits from 10
    task = sine.demo_task(2)
    batch = TaskBatch(task.x_support[:, :shots], task.y_support[:, :shots], task.x_query, task.y_query)
    torch.manual_seed(2)  # the MT-net's mask sample, as the widget draws it
    score = evaluate(sine.load_sine_model(method), OneTask(batch), n_tasks=1, steps=steps, alpha=alpha)
    assert printed == pytest.approx(score.mean, abs=5e-4, rel=5e-3)


def test_plotted_curve_is_the_adapted_model_on_the_grid():
    out = sine.adapt_to_task("tnet", alpha=0.02, shots=5, steps=3, task_seed=1)
    fig = sine.plot_adaptation(out["x"], out["y_true"], out["x_support"], out["y_support"], {"tnet": out["y_adapted"]})
    lines = {line.get_label(): line.get_ydata() for line in fig.axes[0].get_lines()}
    meta, task = sine.load_sine_model("tnet"), sine.demo_task(1)
    expected = meta.adapt(task.x_support[:, :5], task.y_support[:, :5], steps=3, alpha=0.02).predict(task.x_query)
    assert np.allclose(lines["T-net"], expected[0, :, 0], atol=1e-6)
    assert np.allclose(lines["true sine"], task.y_query[0, :, 0]) and len(out["x_support"]) == 5


def test_same_arguments_same_curve_and_own_alpha_for_meta_sgd():
    a = sine.adapt_to_task("mtnet", 0.01, 10, 1, task_seed=0)
    b = sine.adapt_to_task("mtnet", 0.01, 10, 1, task_seed=0)
    assert torch.equal(a["y_adapted"], b["y_adapted"])
    own = sine.adapt_to_task("metasgd", None, 10, 1)  # learned per-weight α
    scalar = sine.adapt_to_task("metasgd", 0.01, 10, 1)
    assert not torch.equal(own["y_adapted"], scalar["y_adapted"])


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="shots must be an integer >= 1 and <= 20, got 0"):
        sine.adapt_to_task("maml", 0.01, 0)
    with pytest.raises(ValueError, match="alpha must be a finite number > 0, got -0.1"):
        sine.adapt_to_task("maml", -0.1, 5)
    with pytest.raises(ValueError, match="method must be one of"):
        sine.adapt_to_task("reptile", 0.01, 5)


def test_explorer_sliders_are_found_by_their_descriptions():
    controls = sine.sine_explorer("maml").children
    descriptions = [c.description for c in controls if hasattr(c, "description")]
    assert any(d.startswith("α") for d in descriptions) and any(d.startswith("shots") for d in descriptions)


def test_explorer_starts_from_the_notebooks_alpha_and_shots():
    controls = sine.sine_explorer("tnet", alpha=0.003, shots=4).children
    values = {c.description: c.value for c in controls if hasattr(c, "description")}
    assert values["α (test step)"] == pytest.approx(0.003) and values["shots K"] == 4 and values["method"] == "tnet"
    with pytest.raises(ValueError, match="alpha must be a finite number in \\[1e-05, 100.0\\], got 1000.0"):
        sine.sine_explorer("maml", alpha=1000.0)


@pytest.mark.parametrize("mse, live, text", [
    (0.31415, False, "MSE = 0.314"), (56012.586, False, "MSE = 5.6e+04"), (203.91, False, "MSE = 204"),
    (0.31415, True, "MSE ≈0.314"), (211.3, True, "MSE ≈211"), (1.2988e21, True, "MSE ≈1.3e+21"),
])
def test_mse_text_prints_digits_float_noise_cannot_flip(mse, live, text):
    assert sine.mse_text(mse, live) == text


def test_adapt_model_takes_any_model_and_matches_the_shipped_one():
    shipped = sine.adapt_to_task("maml", 0.01, 10, 1, task_seed=0)
    same = sine.adapt_model(sine.load_sine_model("maml"), 0.01, 10, 1, task_seed=0)
    assert torch.equal(shipped["y_adapted"], same["y_adapted"])


@pytest.mark.parametrize("method", ["maml", "tnet"])
def test_a_diverged_adaptation_prints_diverged_not_nan(method, capsys):
    assert not np.isfinite(sine.adapt_to_task(method, 0.1, 10, 10)["mse"])  # α = 0.1, 10 steps blows up
    sine.show_adaptation(method, alpha=0.1, shots=10, steps=10)
    out = capsys.readouterr().out
    assert "MSE: diverged (the steps overshoot and the weights blow up to infinity: try a smaller α or fewer steps)" \
        in out and "nan" not in out.lower()
    sine.compare_methods(alpha=0.1, steps=10)
    out = capsys.readouterr().out
    assert "MAML     MSE: diverged" in out and "nan" not in out.lower()


@pytest.fixture(scope="module")
def live_models():
    """A MAML and a fine-tune baseline as notebook 00 trains them, briefly (the explorer only needs models)."""
    from mlkit.live.sine import build_sine, train_sine

    runs = {m: train_sine(build_sine(m, seed=0), iterations=20, seed=0, progress=False) for m in ("maml", "finetune")}
    return {m: run.meta for m, run in runs.items()}


def test_the_live_explorer_adapts_each_model_with_the_slider_step_size(live_models, capsys):
    """Notebook 00's explorer: the same α reaches MAML as its α and the baseline as its SGD step size."""
    errors = sine.show_live_adaptation(live_models, alpha=0.05, shots=4, steps=3, task_seed=1)
    printed = capsys.readouterr().out
    task = sine.demo_task(1)
    x, y = task.x_support[:, :4], task.y_support[:, :4]
    expected = {
        "maml": live_models["maml"].adapt(x, y, steps=3, alpha=0.05).predict(task.x_query),
        "finetune": live_models["finetune"].adapt(x, y, steps=3, lr=0.05).predict(task.x_query),
    }
    for name, label in (("maml", "MAML"), ("finetune", "baseline (pretrained)")):
        mse = ((expected[name] - task.y_query) ** 2).mean().item()
        assert errors[name] == pytest.approx(mse, rel=1e-6)
        assert re.search(rf"^{re.escape(label)} +MSE ≈", printed, re.M), printed
    assert errors != sine.show_live_adaptation(live_models, alpha=0.01, shots=4, steps=3, task_seed=1)


def test_the_live_explorer_starts_from_the_notebooks_values_and_reports_divergence(live_models, capsys):
    controls = sine.live_explorer(live_models, alpha=0.02, shots=6).children
    values = {c.description: c.value for c in controls if hasattr(c, "description")}
    assert values["α (step size)"] == pytest.approx(0.02) and values["shots K"] == 6 and values["steps"] == 1
    capsys.readouterr()
    errors = sine.show_live_adaptation(live_models, alpha=100.0, shots=10, steps=10)
    out = capsys.readouterr().out
    assert not all(np.isfinite(list(errors.values()))) and "diverged" in out and "nan" not in out.lower()
    with pytest.raises(ValueError, match="alpha must be a finite number in \\[1e-05, 100.0\\], got 0.0"):
        sine.live_explorer(live_models, alpha=0.0)
