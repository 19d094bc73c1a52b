"""``explore``: live sliders in JupyterLab, one call with the default values in headless runs."""
import ipywidgets

from mlkit.widgets import HEADLESS_ENV, explore


def test_headless_calls_once_with_the_default_values(monkeypatch):
    monkeypatch.setenv(HEADLESS_ENV, "1")
    calls = []
    result = explore(lambda alpha, shots, seed: calls.append((alpha, shots, seed)),
                     alpha=ipywidgets.FloatLogSlider(value=0.01, min=-4, max=1, description="α"),
                     shots=ipywidgets.IntSlider(value=10, description="shots"), seed=ipywidgets.fixed(3))
    assert result is None and calls == [(0.01, 10, 3)]


def test_live_explorer_is_an_interact(monkeypatch):
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    calls = []
    result = explore(lambda shots: calls.append(shots), shots=ipywidgets.IntSlider(value=4, description="shots"))
    assert calls == [4]  # interact draws once at start...
    assert any(getattr(w, "description", "") == "shots" for w in result.widget.children)  # ...and keeps its slider
