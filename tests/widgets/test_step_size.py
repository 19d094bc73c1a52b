"""mlkit/widgets/step_size.py: notebook 02's explorer adapts the pair trained with the chosen α, prints "≈" errors
(models trained live), and starts from the notebook's α and shots."""
import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import pytest  # noqa: E402

from mlkit.live.sine import build_sine  # noqa: E402
from mlkit.recipes import build  # noqa: E402
from mlkit.tasks import SineTasks  # noqa: E402
from mlkit.widgets import sine, step_size  # noqa: E402


def pairs():
    tasks = SineTasks(seed=0)
    return {a: {"maml": build_sine("maml", alpha=a, seed=1), "tnet": build("tnet", tasks, seed=1, alpha=a)}
            for a in (1e-4, 10.0)}


def test_printed_errors_are_the_adaptations_of_the_chosen_pair(capsys):
    models = pairs()
    mse = step_size.show_step_sizes(models, trained=10.0, alpha=0.05, shots=6, task_seed=2)
    out = capsys.readouterr().out
    for method, label in (("maml", "MAML"), ("tnet", "T-net")):
        expected = sine.adapt_model(models[10.0][method], 0.05, 6, 1, task_seed=2)["mse"]
        assert mse[method] == pytest.approx(expected)
        assert re.search(rf"{label}\s+MSE ≈\d", out)


def test_explorer_starts_from_the_given_alpha_and_shots_and_follows_the_chosen_pair():
    box = step_size.step_size_explorer(pairs(), trained=1e-4, alpha=1e-4, shots=5)
    controls = {c.description: c for c in box.children if hasattr(c, "description")}
    assert controls["α (test step)"].value == pytest.approx(1e-4) and controls["shots K"].value == 5
    controls["trained with"].value = 10.0
    assert controls["α (test step)"].value == pytest.approx(10.0)


def test_an_untrained_alpha_is_refused():
    with pytest.raises(ValueError, match="trained must be one of 0.0001, 10.0, got 0.5"):
        step_size.show_step_sizes(pairs(), trained=0.5, alpha=0.01)


def test_the_plain_twin_prints_the_explorers_errors_on_one_line_without_a_plot(capsys):
    import matplotlib.pyplot as plt

    models = pairs()
    plt.close("all")
    errors = step_size.step_size_errors(models, trained=1e-4, alpha=0.01, shots=6, task_seed=2)
    out = capsys.readouterr().out.strip()
    assert not plt.get_fignums() and len(out.splitlines()) == 1
    assert out.startswith("trained with α = 0.0001, adapted with α = 0.01, K = 6:")
    for method, label in (("maml", "MAML"), ("tnet", "T-net")):
        assert errors[method] == pytest.approx(sine.adapt_model(models[1e-4][method], 0.01, 6, 1, task_seed=2)["mse"])
        assert re.search(rf"{label} MSE ≈\d", out)
