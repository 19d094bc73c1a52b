"""``prepare_images``: files, PIL images and arrays to the model's input, ink polarity detected; bad images named."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from mlkit.tasks.image_files import prepare_images
from mlkit.tasks.omniglot import Omniglot


@pytest.fixture(scope="module")
def latin_a(omniglot_zips, tmp_path_factory):
    """The first drawing of Latin character01 as published (black ink on white, 105x105, one bit) and its file."""
    with zipfile.ZipFile(omniglot_zips[0]) as z:
        member = sorted(n for n in z.namelist() if "/Latin/character01/" in n and n.endswith(".png"))[0]
        data = z.read(member)
    path = tmp_path_factory.mktemp("png") / "a.png"
    path.write_bytes(data)
    return Image.open(io.BytesIO(data)), path


def test_a_published_drawing_becomes_exactly_the_training_image(latin_a):
    image, path = latin_a
    x = prepare_images(path)
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    dataset = Omniglot(alphabets=["Latin"])
    index = dataset.class_names.index("Latin/character01")
    assert torch.equal(x[0], dataset.images[index, 0].float() / 255)  # the loader's own steps
    assert float(x.mean()) < 0.3 and float(x.max()) == 1.0  # bright strokes on a dark background


def test_both_ink_polarities_give_the_same_tensor(latin_a):
    image, path = latin_a
    black_on_white = np.asarray(image.convert("L"))
    white_on_black = 255 - black_on_white
    expected = prepare_images(black_on_white)
    assert torch.equal(prepare_images(white_on_black), expected)
    assert torch.equal(prepare_images(image), expected) and torch.equal(prepare_images(path), expected)
    assert torch.equal(prepare_images(black_on_white.astype(np.float32) / 255), expected)
    rgba = Image.new("RGBA", image.size, (0, 0, 0, 0))  # dark ink on a transparent background
    rgba.putalpha(Image.fromarray(white_on_black))
    assert torch.equal(prepare_images(rgba), expected)


def test_a_list_of_images_is_stacked_and_resized(latin_a):
    image, path = latin_a
    x = prepare_images([path, image, np.zeros((50, 80), np.uint8)], size=20)
    assert x.shape == (3, 1, 20, 20) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert torch.equal(x[0], x[1]) and float(x[2].abs().sum()) == 0


def test_bad_images_are_named(tmp_path):
    with pytest.raises(ValueError, match="image file not found: .*missing.png"):
        prepare_images(tmp_path / "missing.png")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ValueError, match="notes.png is not an image file Pillow can read"):
        prepare_images([tmp_path / "notes.png"])
    Image.new("CMYK", (30, 30)).save(tmp_path / "print.jpg")
    with pytest.raises(ValueError, match=r"image .*print.jpg has mode 'CMYK'; expected a grey, colour"):
        prepare_images(tmp_path / "print.jpg")
    with pytest.raises(ValueError, match=r"image #0 is empty \(shape \(0, 5\)\)"):
        prepare_images(np.zeros((0, 5), np.uint8))
    with pytest.raises(ValueError, match=r"image #0 must hold uint8 values 0..255 or finite floats in \[0, 1\]"):
        prepare_images(np.full((5, 5), 3.0))
    with pytest.raises(ValueError, match="images must hold at least one image, got none"):
        prepare_images([])
    with pytest.raises(ValueError, match="size must be an integer >= 4"):
        prepare_images(np.zeros((5, 5), np.uint8), size=0)
