"""The latent-steps / α / shots explorer of notebook 06: a fixed projection, accuracy and movement of the codes."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from mlkit.viz.leo import collect_codes
from mlkit.widgets.leo import (centred_codes, fit_projection, latent_explorer, latent_numbers, latent_view,
                               latent_widget, show_latent, show_numbers)


def test_latent_view_reports_accuracy_and_movement(capsys, toy_leo):
    meta, sampler = toy_leo
    codes = collect_codes(meta, sampler, n_tasks=8)
    projection = fit_projection(codes, meta.n_way)
    batch = sampler.sample()
    still = latent_view(meta, batch, projection, latent_steps=0, background=codes, show=False)
    assert still["moved"] == 0.0 and "accuracy = " in capsys.readouterr().out
    assert still["figure"].axes[0].get_title().startswith("test task 1: accuracy")
    assert still["figure"]._suptitle.get_text().startswith("No latent steps")
    moving = latent_view(meta, batch, projection, latent_steps=3, alpha_scale=2.0, show=False)
    assert moving["moved"] > 0 and 0.0 <= moving["accuracy"] <= 1.0
    assert moving["figure"]._suptitle.get_text().startswith("3 latent steps push the class codes")
    with pytest.raises(ValueError, match="alpha_scale must be a finite number > 0"):
        latent_view(meta, batch, projection, alpha_scale=0.0, show=False)


def test_the_paths_are_drawn_relative_to_the_tasks_mean_code_which_never_moves(toy_leo):
    meta, sampler = toy_leo
    batch = sampler.sample()
    found = latent_numbers(meta, batch, latent_steps=4, alpha_scale=2.0, finetune_steps=0)
    path = found["path"]  # [steps + 1, T, N, n_z]
    torch.testing.assert_close(path.mean(2), path[:1].mean(2).expand_as(path.mean(2)), atol=1e-5, rtol=0)
    centred = centred_codes(np.arange(12.0).reshape(4, 3), n_way=2)
    np.testing.assert_allclose(centred[:2].sum(0), 0.0) and np.testing.assert_allclose(centred[2:].sum(0), 0.0)
    assert found["finetune_steps"] == 0 and latent_numbers(meta, batch)["finetune_steps"] == meta.finetune_steps


def test_widget_sliders_are_named_for_the_browser_test(toy_leo):
    meta, sampler = toy_leo
    codes = collect_codes(meta, sampler, n_tasks=4)
    widget = latent_widget(meta, sampler.sample(), fit_projection(codes, meta.n_way))
    descriptions = [child.description for child in widget.children if hasattr(child, "description")]
    assert "latent steps" in descriptions and "fine-tuning steps" in descriptions
    assert any(d.startswith("α") for d in descriptions)


def test_the_notebook_explorer_has_shots_and_alpha_sliders_that_change_the_printed_accuracy(capsys):
    widget = latent_explorer(shots=1, alpha_scale=1.0)
    sliders = {child.description: child for child in widget.children if hasattr(child, "description")}
    assert sliders["shots"].value == 1 and sliders["α × learned"].value == 1.0
    assert sliders["latent steps"].value == 5 and sliders["fine-tuning steps"].value == 5
    first = show_latent(shots=1, latent_steps=5, alpha_scale=1.0, show=False)
    still = show_latent(shots=1, latent_steps=0, show=False)
    assert still["moved"] == 0.0 and first["moved"] > 0 and first["accuracy"] != still["accuracy"]
    assert "accuracy = " in capsys.readouterr().out
    alone = show_numbers(shots=1, latent_steps=5, finetune_steps=0)  # the plain twin: numbers, no figure
    assert "figure" not in alone and alone["accuracy"] != first["accuracy"]
    assert capsys.readouterr().out.startswith("5 latent steps (α × 1), 0 fine-tuning steps: accuracy = ")
