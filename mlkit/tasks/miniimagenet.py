"""miniImageNet (Vinyals et al. 2016) with the class split of Ravi & Larochelle (2017): 64 / 16 / 20 classes.

Two usual layouts are accepted in ``root``:

(a) pickles ``mini-imagenet-cache-{train,val,test}.pkl``, each a dict with ``"image_data"`` uint8
    [N, 84, 84, 3] and ``"class_dict"`` {class name: [row indices]};
(b) Ravi's CSV files ``{train,val,test}.csv`` (header ``filename,label``) with the images in ``images/``.

Pickles are read with an unpickler that only builds numpy arrays and plain containers, so a tampered file
cannot run code. Classes are sorted by name and truncated to the smallest class (600 images each normally).
"""
from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mlkit.checks import check_choice, check_int
from mlkit.resources import check_fits
from mlkit.tasks.images import SPLITS, ImageDataset

_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("collections", "OrderedDict"),
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _from_pickle(path: Path, root: Path) -> dict[str, np.ndarray]:
    """Class name -> uint8 [n, H, W, 3] from a mini-imagenet-cache pickle."""
    try:
        with open(path, "rb") as f:
            data = _ArrayUnpickler(f, encoding="latin1").load()
        images = np.asarray(data["image_data"])                                           # [N, 84, 84, 3]
        return {name: images[np.asarray(rows, dtype=np.int64)] for name, rows in data["class_dict"].items()}
    except (pickle.UnpicklingError, KeyError, TypeError, EOFError, ValueError, IndexError, AttributeError) as error:
        raise ValueError(f"root {str(root)!r}: {path.name} is not a miniImageNet cache pickle ({error})") from None


def _from_csv(path: Path, root: Path, size: int) -> dict[str, np.ndarray]:
    """Class name -> uint8 [n, size, size, 3] from Ravi's csv and the ``images/`` folder."""
    files: dict[str, list[str]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            files.setdefault(row["label"], []).append(row["filename"])
    check_image_memory(sum(map(len, files.values())), size)
    out = {}
    for label, names in files.items():
        arrays = []
        for name in names:
            image_path = root / "images" / name
            if not image_path.is_file():
                raise ValueError(f"root {str(root)!r}: {path.name} lists images/{name}, which is missing")
            with Image.open(image_path) as image:
                arrays.append(np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)))
        out[label] = np.stack(arrays)
    return out


def check_image_memory(n_images: int, size: int) -> None:
    """Refuse an ``image_size`` whose uint8 images (held twice while they are stacked) cannot fit in memory."""
    check_fits(f"image_size = {size} for {n_images} images needs", 2 * n_images * 3 * size * size,
               "use a smaller image_size")


def _resize(images: torch.Tensor, size: int, chunk: int = 1024) -> torch.Tensor:
    """Bilinear, anti-aliased resize of uint8 [N, 3, H, W] to [N, 3, size, size], a chunk at a time."""
    check_image_memory(len(images), size)
    out = torch.empty((len(images), 3, size, size), dtype=torch.uint8)
    for i in range(0, len(images), chunk):
        part = torch.nn.functional.interpolate(
            images[i:i + chunk].float(), size=(size, size), mode="bilinear", antialias=True
        )
        out[i:i + chunk] = part.round().clamp(0, 255).to(torch.uint8)
    return out


class MiniImageNet(ImageDataset):
    """One split of miniImageNet: images [classes, per_class, 3, image_size, image_size] uint8.

    Args:
        root: folder with the pickles (layout a) or the csv files and ``images/`` (layout b).
        split: ``"train"``, ``"val"`` or ``"test"``.
        image_size: side of the square images, 8..512 (84 as published).
    """

    def __init__(self, root: str | Path, split: str = "train", image_size: int = 84) -> None:
        check_choice("split", split, SPLITS)
        size = check_int("image_size", image_size, 8, 512)
        root = Path(root).expanduser()
        if not root.is_dir():
            raise ValueError(f"root must be an existing folder holding miniImageNet files, got {str(root)!r}")
        pkl, table = root / f"mini-imagenet-cache-{split}.pkl", root / f"{split}.csv"
        if pkl.is_file():
            classes = _from_pickle(pkl, root)
        elif table.is_file() and (root / "images").is_dir():
            classes = _from_csv(table, root, size)
        else:
            raise ValueError(
                f"root {str(root)!r} has no miniImageNet layout for split {split!r}: expected {pkl.name} "
                f"or {table.name} with an images/ folder"
            )
        names = sorted(classes)
        if not names:
            raise ValueError(f"root {str(root)!r}: the {split} files list no classes")
        per_class = min(len(classes[n]) for n in names)
        images = np.stack([classes[n][:per_class] for n in names])                      # [classes, per_class, H, W, 3]
        images = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 1, 4, 2, 3)  # [classes, per_class, 3, H, W]
        if images.shape[-1] != size or images.shape[-2] != size:
            images = _resize(images.flatten(0, 1), size).reshape(len(names), per_class, 3, size, size)
        super().__init__(images.contiguous(), names, split, "miniimagenet")
        self.root = root
