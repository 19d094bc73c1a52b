"""The ways / shots / distance explorer of notebook 07 (``mlkit.widgets.metric``), on a small synthetic episode."""
import matplotlib

matplotlib.use("Agg")

import ipywidgets
import pytest
import torch
from random_episodes import noisy_dataset

from mlkit.learners import ConvNet
from mlkit.meta import ProtoNet
from mlkit.tasks import EpisodeSampler
from mlkit.widgets import HEADLESS_ENV
from mlkit.widgets.metric import prototype_explorer, show_prototypes


@pytest.fixture(scope="module")
def setup():
    """An untrained ProtoNet on 16x16 images and one 12-way episode with 4 support and 4 query images per class."""
    torch.manual_seed(0)
    meta = ProtoNet(ConvNet(1, 5, hidden=8, image_size=16)).eval()
    episode = EpisodeSampler(noisy_dataset(classes=12), 12, 4, 4, meta_batch=1, seed=0).sample()
    return meta, episode


def test_show_prototypes_prints_the_accuracy_line_and_returns_the_view(setup, capsys):
    meta, episode = setup
    view = show_prototypes(meta, episode, ways=5, shots=2, distance="cosine", show=False)
    line = capsys.readouterr().out
    assert line.startswith("5-way 2-shot, cosine distance: accuracy ≈") and "of 20 queries (chance 20.0 %)" in line
    assert view.prototypes.shape == (5, 8) and view.distance == "cosine"
    assert f"≈{100 * view.accuracy:.1f} %" in line


def test_show_prototypes_refuses_settings_the_episode_does_not_hold(setup):
    meta, episode = setup
    with pytest.raises(ValueError, match="shots must be an integer >= 1 and <= 4, got 5"):
        show_prototypes(meta, episode, ways=5, shots=5, show=False)
    with pytest.raises(ValueError, match="distance must be one of 'euclidean', 'cosine', got 'manhattan'"):
        show_prototypes(meta, episode, ways=5, shots=1, distance="manhattan", show=False)


def test_explorer_sliders_are_named_for_the_browser_test_and_redraw(setup, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    meta, episode = setup
    box = prototype_explorer(meta, episode, ways=5, shots=1)
    *controls, output = box.children
    by_name = {c.description: c for c in controls}
    assert set(by_name) == {"ways N", "shots K", "distance"} and isinstance(output, ipywidgets.Output)
    assert by_name["ways N"].max == 12 and by_name["shots K"].max == 4  # the episode's own size

    def printed() -> str:
        return "".join(o.get("text", "") for o in output.outputs if o["output_type"] == "stream")

    assert printed().startswith("5-way 1-shot, euclidean distance: accuracy")
    assert [o["output_type"] for o in output.outputs] == ["stream", "display_data", "stream"]  # line, plane, line
    by_name["shots K"].value = 3
    assert printed().startswith("5-way 3-shot, euclidean distance: accuracy")
    by_name["distance"].value = "cosine"
    assert printed().startswith("5-way 3-shot, cosine distance")
