"""Notebook 08's sequence explorer: sliders named for the browser test, a printed accuracy that moves with them."""
import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import pytest  # noqa: E402

from mlkit.live.memory import accuracy_by_instance, build_mann  # noqa: E402
from mlkit.widgets.memory import instance_explorer, print_instances, show_instances  # noqa: E402


@pytest.fixture(scope="module")
def meta():
    return build_mann(4, 0)  # untrained: what matters here is the plumbing


def printed(capsys) -> float:
    return float(re.search(r"accuracy = ([\d.]+) %", capsys.readouterr().out).group(1))


def test_printed_accuracy_is_the_mean_over_later_images(meta, capsys):
    out = show_instances(meta, classes=3, length=3, n_episodes=20, seed=1)
    scores = accuracy_by_instance(meta, 3, 3, 20, 1)
    expected = 100 * (scores[2].mean + scores[3].mean) / 2
    assert printed(capsys) == pytest.approx(expected, abs=0.051)
    assert set(out["real"]) == set(out["control"]) == {1, 2, 3}


def test_moving_the_sliders_changes_the_numbers(meta, capsys):
    show_instances(meta, classes=2, length=4, n_episodes=20)
    first = printed(capsys)
    show_instances(meta, classes=4, length=4, n_episodes=20)
    assert printed(capsys) != first
    show_instances(meta, classes=2, length=1, n_episodes=20)
    assert "accuracy = –" in capsys.readouterr().out
    with pytest.raises(ValueError, match="classes must be an integer >= 2 and <= 4"):
        show_instances(meta, classes=5)
    with pytest.raises(ValueError, match="length must be an integer >= 1 and <= 15"):
        show_instances(meta, classes=2, length=16)


def test_widget_sliders_are_named_for_the_browser_test(meta):
    widget = instance_explorer(meta, classes=3, length=2, n_episodes=10)
    descriptions = [child.description for child in widget.children if hasattr(child, "description")]
    assert any(d.startswith("classes") for d in descriptions) and any(d.startswith("length") for d in descriptions)
    values = {child.description: child.value for child in widget.children if hasattr(child, "description")}
    assert values["classes"] == 3 and values["length (per class)"] == 2


def test_the_plain_twin_prints_the_explorers_numbers_and_draws_nothing(meta, capsys):
    import matplotlib.pyplot as plt

    figures = len(plt.get_fignums())
    out = print_instances(meta, classes=3, length=3, n_episodes=20, seed=1)
    text = capsys.readouterr().out
    shown = show_instances(meta, classes=3, length=3, n_episodes=20, seed=1)
    assert printed_line(text) == printed_line(capsys.readouterr().out)  # the same accuracy line as the explorer
    assert f"2: {100 * out['real'][2].mean:.1f} ({100 * out['control'][2].mean:.1f})" in text
    assert out["real"][2].mean == shown["real"][2].mean and len(plt.get_fignums()) == figures


def printed_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("accuracy = "))
