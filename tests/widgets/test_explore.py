"""``explore``: live controls in JupyterLab (outputs recorded, never captured), one plain call in headless runs."""
import ipywidgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mlkit.widgets import HEADLESS_ENV, explore, record  # noqa: E402


def test_headless_calls_once_with_the_default_values(monkeypatch):
    monkeypatch.setenv(HEADLESS_ENV, "1")
    calls = []
    result = explore(lambda alpha, shots, seed: calls.append((alpha, shots, seed)),
                     alpha=ipywidgets.FloatLogSlider(value=0.01, min=-4, max=1, description="α"),
                     shots=ipywidgets.IntSlider(value=10, description="shots"), seed=ipywidgets.fixed(3))
    assert result is None and calls == [(0.01, 10, 3)]


def test_live_explorer_redraws_its_output_area_when_a_slider_moves(monkeypatch):
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    box = explore(lambda shots, seed: print(f"shots = {shots}, seed = {seed}"),
                  shots=ipywidgets.IntSlider(value=4, description="shots"), seed=ipywidgets.fixed(7))
    slider, output = box.children  # the fixed seed gets no control
    assert slider.description == "shots" and isinstance(output, ipywidgets.Output)
    assert output.outputs == ({"output_type": "stream", "name": "stdout", "text": "shots = 4, seed = 7\n"},)
    slider.value = 9
    assert output.outputs == ({"output_type": "stream", "name": "stdout", "text": "shots = 9, seed = 7\n"},)


def test_record_keeps_prints_and_displays_in_order_and_shows_errors(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    from IPython.display import Markdown, display

    def draw(n):
        print("before")
        display(Markdown(f"**n = {n}**"))
        print("after")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")

    outputs = record(draw, {"n": 2})
    assert [o["output_type"] for o in outputs] == ["stream", "display_data", "stream"]
    assert outputs[1]["data"]["text/markdown"] == "**n = 2**" and outputs[2]["text"] == "after\n"
    failed = record(draw, {"n": -1})
    assert failed[-1]["output_type"] == "error" and failed[-1]["evalue"] == "n must be >= 0, got -1"
    assert any("ValueError" in line for line in failed[-1]["traceback"])
    import sys

    assert sys.stdout is sys.__stdout__ or "Stream" not in type(sys.stdout).__name__  # streams restored


def test_record_restores_the_display_publisher_after_an_error(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    before = shell.display_pub
    record(lambda: 1 / 0, {})
    assert shell.display_pub is before
    plt.close("all")
