"""From image files, PIL images or arrays to the input of mlkit's character models: ``prepare_images``.

Every model trained on Omniglot or Glyphs reads float images [B, 1, 28, 28] in [0, 1] with the **ink bright** (1.0)
on a dark background (0.0), as in Vinyals et al. (2016) and the MAML code, which invert Omniglot's black-on-white
PNGs. A drawing from elsewhere (a scan, a phone photo, a PNG from a paint program) is usually dark ink on white:
given as it is, it looks like a negative to the model and is classified at about chance. ``prepare_images`` makes
any such image look like the training data:

1. read it (a path, a PIL image, a numpy array or a torch tensor) and convert it to grey levels (transparent
   pixels count as white paper);
2. detect the ink's polarity from the image's border: the background is what fills the border (its median grey);
   a bright background means dark ink, and the image is inverted so that the ink becomes bright;
3. resize it to ``size`` × ``size`` by averaging areas (Pillow's BOX filter, as the Omniglot loader does).

The Omniglot loader (``mlkit.tasks.omniglot``) goes through the same ``ink_pixels``, so a user's image and a
training image follow exactly the same steps.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from mlkit.checks import check_int

MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "I;16")  # grey, colour, palette or black-and-white images
RESAMPLE = {"box": Image.Resampling.BOX, "nearest": Image.Resampling.NEAREST}


def _grey(image: Image.Image, where: str) -> Image.Image:
    """Mode "L" (8-bit grey) of ``image``, transparent pixels turned into white paper."""
    if image.width == 0 or image.height == 0:
        raise ValueError(f"image {where} is empty ({image.width}x{image.height} pixels)")
    if image.mode not in MODES:
        raise ValueError(f"image {where} has mode {image.mode!r}; expected a grey, colour or black-and-white "
                         f"image (PIL modes {', '.join(MODES)})")
    if image.mode == "I;16":
        return Image.fromarray((np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8), "L")
    if image.mode in ("LA", "PA", "RGBA") or (image.mode == "P" and "transparency" in image.info):
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    return image.convert("L")


def ink_pixels(image: Image.Image, size: int = 28, resample: str = "box", where: str = "") -> np.ndarray:
    """uint8 [size, size] of one image: grey, bright ink on a dark background, resized (steps 1-3 above).

    The polarity is decided and fixed at full resolution, before resizing, so an image and its negative give
    exactly the same pixels."""
    pixels = np.asarray(_grey(image, where or "given"), dtype=np.uint8)
    border = np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])
    if np.median(border) > 127:  # a bright background: dark ink, turn it into bright ink
        pixels = 255 - pixels
    return np.asarray(Image.fromarray(pixels, "L").resize((size, size), RESAMPLE[resample]), dtype=np.uint8)


def _open(path: Path) -> Image.Image:
    if not path.is_file():
        raise ValueError(f"image file not found: {path}")
    try:
        with Image.open(path) as image:
            image.load()
            return image
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path} is not an image file Pillow can read ({error})") from None


def _from_array(array: np.ndarray, where: str) -> Image.Image:
    """A 2-D array of grey levels: uint8 0..255, or floats / booleans in [0, 1]."""
    if array.ndim == 3 and array.shape[-1] in (3, 4):  # H x W x RGB(A)
        mode = "RGB" if array.shape[-1] == 3 else "RGBA"
    elif array.ndim == 2:
        mode = "L"
    else:
        raise ValueError(f"image {where} must be an array [H, W] of grey levels or [H, W, 3 or 4] of colours, "
                         f"got shape {tuple(array.shape)}")
    if array.size == 0:
        raise ValueError(f"image {where} is empty (shape {tuple(array.shape)})")
    if array.dtype == np.bool_:
        array = array.astype(np.float32)
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all() or array.min() < 0 \
                or array.max() > 1:
            raise ValueError(f"image {where} must hold uint8 values 0..255 or finite floats in [0, 1], "
                             f"got {array.dtype} in [{array.min()}, {array.max()}]")
        array = np.round(array * 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(array), mode)


def _as_image(item: Any, where: str) -> Image.Image:
    if isinstance(item, (str, Path)):
        return _open(Path(item).expanduser())
    if isinstance(item, Image.Image):
        return item
    if isinstance(item, Tensor):
        item = item.detach().cpu().squeeze(0).numpy() if item.dim() == 3 and item.shape[0] == 1 else item.numpy()
    if isinstance(item, np.ndarray):
        return _from_array(item, where)
    raise ValueError(f"image {where} must be a file path, a PIL image or an array, got {type(item).__name__}")


def prepare_images(images: Any, size: int = 28) -> Tensor:
    """Images as a character model reads them: float32 [B, 1, size, size] in [0, 1], ink bright.

    Args:
        images: one image or a sequence of them; each a file path, a PIL image, a 2-D array of grey levels
            (uint8 0..255 or floats in [0, 1]), an [H, W, 3|4] colour array, or a [1, H, W] tensor.
        size: the model's image side (``meta.learner.image_size``; 28 for Omniglot and Glyphs models).

    A file that is missing, unreadable, empty or of an unusual mode (e.g. CMYK) gives a ``ValueError`` naming it.
    For a whole episode, stack the results: ``prepare_images(paths)[None]`` is [1 task, B, 1, size, size].
    """
    size = check_int("size", size, 4, 1024)
    single = isinstance(images, (str, Path, Image.Image)) or (
        isinstance(images, (np.ndarray, Tensor)) and (images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (3, 4))))
    items: Sequence[Any] = [images] if single else list(images)
    if not items:
        raise ValueError("images must hold at least one image, got none")
    pixels = []
    for i, item in enumerate(items):
        where = str(item) if isinstance(item, (str, Path)) else f"#{i}"
        pixels.append(ink_pixels(_as_image(item, where), size, where=where))
    return torch.from_numpy(np.stack(pixels)).unsqueeze(1).float().div_(255.0)  # [B, 1, size, size]
