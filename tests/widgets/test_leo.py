"""The latent-steps / α / shots explorer of notebook 06: a fixed projection, accuracy and movement of the codes."""
import matplotlib

matplotlib.use("Agg")

import pytest

from mlkit.viz.leo import collect_codes
from mlkit.widgets.leo import fit_projection, latent_explorer, latent_view, latent_widget, show_latent


def test_latent_view_reports_accuracy_and_movement(capsys, toy_leo):
    meta, sampler = toy_leo
    codes = collect_codes(meta, sampler, n_tasks=8)
    projection = fit_projection(codes)
    batch = sampler.sample()
    still = latent_view(meta, batch, projection, latent_steps=0, background=codes, show=False)
    assert still["moved"] == 0.0 and capsys.readouterr().out.startswith("accuracy = ")
    moving = latent_view(meta, batch, projection, latent_steps=3, alpha_scale=2.0, show=False)
    assert moving["moved"] > 0 and 0.0 <= moving["accuracy"] <= 1.0
    with pytest.raises(ValueError, match="alpha_scale must be a finite number > 0"):
        latent_view(meta, batch, projection, alpha_scale=0.0, show=False)


def test_widget_sliders_are_named_for_the_browser_test(toy_leo):
    meta, sampler = toy_leo
    codes = collect_codes(meta, sampler, n_tasks=4)
    widget = latent_widget(meta, sampler.sample(), fit_projection(codes))
    descriptions = [child.description for child in widget.children if hasattr(child, "description")]
    assert "latent steps" in descriptions and any(d.startswith("α") for d in descriptions)


def test_the_notebook_explorer_has_shots_and_alpha_sliders_that_change_the_printed_accuracy(capsys):
    widget = latent_explorer(shots=1, alpha_scale=1.0)
    sliders = {child.description: child for child in widget.children if hasattr(child, "description")}
    assert sliders["shots"].value == 1 and sliders["α × learned"].value == 1.0
    assert sliders["latent steps"].value == 5
    first = show_latent(shots=1, latent_steps=5, alpha_scale=1.0, show=False)
    still = show_latent(shots=1, latent_steps=0, show=False)
    assert still["moved"] == 0.0 and first["moved"] > 0 and first["accuracy"] != still["accuracy"]
    assert "accuracy = " in capsys.readouterr().out
