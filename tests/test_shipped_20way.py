"""The shipped 20-way model (``mlkit/checkpoints/omniglot-20way.pt``): a Prototypical Network trained on the training
alphabets, loaded with ``load_meta_learner`` and used on N-way one-shot problems of alphabets it never saw, from image
files or arrays through ``prepare_images``."""
from pathlib import Path

import numpy as np
import pytest
import torch

from mlkit.checkpoint import load_meta_learner
from mlkit.tasks import EpisodeSampler, Omniglot
from mlkit.tasks.image_files import prepare_images

SHIPPED = Path(__file__).resolve().parents[1] / "mlkit" / "checkpoints" / "omniglot-20way.pt"


def paper_image(pixels: np.ndarray):
    """A PIL image of uint8 grey levels, as a scan or a drawing program would give it."""
    from PIL import Image

    return Image.fromarray(pixels.astype(np.uint8), "L")


@pytest.fixture(scope="module")
def model():
    return load_meta_learner(SHIPPED)


@pytest.mark.parametrize("n_way, floor", [(20, 0.45), (5, 0.65)])
def test_it_recognises_characters_of_held_out_alphabets_far_above_chance(model, n_way, floor):
    batch = EpisodeSampler(Omniglot(split="test"), n_way, 1, 5, 40, seed=7, within_alphabet=True).sample()
    accuracy = (model.adapt(batch.x_support, batch.y_support).predict(batch.x_query) == batch.y_query).float().mean()
    assert model.name == "protonet" and float(accuracy) > floor  # chance: 1 / n_way


def test_drawings_given_as_black_on_white_images_are_read_like_the_training_data(model):
    test = Omniglot(split="test", alphabets=["Latin"])
    chosen = [0, 1, 2]  # three Latin characters: drawing 0 is the support, drawing 1 the query
    paper = [paper_image(255 - test.images[c, i, 0].numpy()) for c in chosen for i in (0, 1)]  # dark ink on white
    x = prepare_images(paper)  # [6, 1, 28, 28], ink made bright again
    assert torch.allclose(x, torch.stack([test.images[c, i].float() / 255 for c in chosen for i in (0, 1)]))
    support, query = x[0::2].unsqueeze(0), x[1::2].unsqueeze(0)  # [1 task, 3, 1, 28, 28] each
    direct = model.adapt(test.images[chosen, 0].float().unsqueeze(0) / 255, torch.tensor([[0, 1, 2]]))
    from_files = model.adapt(support, torch.tensor([[0, 1, 2]]))
    assert torch.equal(from_files.predict(query), direct.predict(test.images[chosen, 1].float().unsqueeze(0) / 255))


def test_images_of_the_wrong_size_are_named(model):
    with pytest.raises(ValueError, match=r"x_support must be images \[tasks, examples, 1, 28, 28\].*got shape \(1, 3, 1, 32, 32\)"):
        model.adapt(torch.rand(1, 3, 1, 32, 32), torch.tensor([[0, 1, 2]]))
