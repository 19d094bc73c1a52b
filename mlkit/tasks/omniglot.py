"""Omniglot (Lake, Salakhutdinov & Tenenbaum 2015): 1623 handwritten characters of 50 alphabets, 20 drawers each.

Reads the official archives straight from their zips (zipfile + Pillow, nothing extracted) or from their
unpacked folders: ``images_background``, ``images_evaluation``, ``images_background_small1``,
``images_background_small2``, whichever are present in ``root``. Inside each:
``<top>/<Alphabet>/characterNN/<id>_<drawer>.png``, 105x105 one-bit images.

Each image is resized to 28x28 on mode "L" and inverted, so strokes are bright (255) on black:
``resample="box"`` averages areas (grey edges); ``"nearest"`` reproduces the 28x28 files of MAML and Reptile,
which Pillow made with NEAREST because it forces that filter on one-bit images.
Characters are identified by ``"Alphabet/characterNN"`` (Greek and Latin appear in both small subsets: kept
once), sorted, and split with ``split_names``: the full 1623 give exactly 1100 / 100 / 423.
``rotations=True`` adds each train character turned by 90, 180 and 270 degrees as three new classes
(Vinyals et al. 2016; Reptile's protocol); val and test are never rotated, whatever ``rotations`` says.
"""
from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image

from mlkit.checks import check_choice, check_int
from mlkit.tasks.images import SPLITS, ImageDataset, split_names

SOURCES = ("images_background", "images_evaluation", "images_background_small1", "images_background_small2")
FRACTIONS = (1100 / 1623, 100 / 1623, 423 / 1623)
RESAMPLE = {"box": Image.Resampling.BOX, "nearest": Image.Resampling.NEAREST}


def _safe_entries(path: Path, root: Path) -> list[str]:
    """The member names of zip ``path``, after refusing any that would escape the archive's folder."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as error:
        raise ValueError(f"root {str(root)!r} holds a corrupt zip file {path.name}: {error}") from None
    for name in names:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise ValueError(f"root {str(root)!r}: zip file {path.name} has an entry that escapes its folder: {name!r}")
    return names


def _index(root: Path) -> dict[str, list[tuple[Path, str]]]:
    """``"Alphabet/characterNN"`` -> sorted (source, member) pairs; the first source to hold a character wins."""
    characters: dict[str, list[tuple[Path, str]]] = {}
    for source in SOURCES:
        found: dict[str, list[tuple[Path, str]]] = {}
        if (root / f"{source}.zip").is_file():
            path = root / f"{source}.zip"
            for name in _safe_entries(path, root):
                parts = PurePosixPath(name).parts
                if len(parts) == 4 and parts[3].lower().endswith(".png"):
                    found.setdefault(f"{parts[1]}/{parts[2]}", []).append((path, name))
        elif (root / source).is_dir():
            for png in (root / source).glob("*/*/*.png"):
                found.setdefault(f"{png.parent.parent.name}/{png.parent.name}", []).append((png, ""))
        for key, files in found.items():
            characters.setdefault(key, sorted(files))
    return characters


def _decode(files: list[tuple[Path, str]], resample: int) -> np.ndarray:
    """uint8 [len(files), 28, 28], strokes 255."""
    out = np.empty((len(files), 28, 28), np.uint8)
    archives: dict[Path, zipfile.ZipFile] = {}
    try:
        for i, (path, member) in enumerate(files):
            try:
                if member:
                    if path not in archives:
                        archives[path] = zipfile.ZipFile(path)
                    data = io.BytesIO(archives[path].read(member))
                else:
                    data = path
                with Image.open(data) as image:
                    out[i] = 255 - np.asarray(image.convert("L").resize((28, 28), resample))
            except (OSError, zipfile.BadZipFile) as error:
                where = f"{path.name}:{member}" if member else str(path)
                raise ValueError(f"root holds an unreadable Omniglot image {where}: {error}") from None
    finally:
        for archive in archives.values():
            archive.close()
    return out


class Omniglot(ImageDataset):
    """One split of Omniglot: images [classes, per_class, 1, 28, 28] uint8, strokes 255 on 0.

    If some characters have fewer images than others (not the case in the official archives), every character is
    truncated to the smallest count over all splits, with a warning, so every class has ``per_class`` images.

    Args:
        root: folder holding Omniglot zips and/or their unpacked folders (see the module docstring).
        split: ``"train"``, ``"val"`` or ``"test"``.
        rotations: add 90/180/270-degree rotations of the train characters as classes (train split only).
        seed: seed of the class split.
        resample: ``"box"`` (area average) or ``"nearest"`` (the MAML/Reptile files).
        fractions: fractions of characters for train / val / test.
    """

    def __init__(
        self, root: str | Path, split: str = "train", rotations: bool = False, seed: int = 0,
        resample: str = "box", fractions: tuple[float, float, float] = FRACTIONS,
    ) -> None:
        check_choice("split", split, SPLITS)
        check_choice("resample", resample, tuple(RESAMPLE))
        check_choice("rotations", rotations, (True, False))
        seed = check_int("seed", seed, 0)
        if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
            raise ValueError(f"fractions must be 3 numbers >= 0 (train, val, test) summing to 1, got {fractions!r}")
        root = Path(root).expanduser()
        if not root.is_dir():
            raise ValueError(f"root must be an existing folder holding Omniglot zips or folders, got {str(root)!r}")
        characters = _index(root)
        if not characters:
            expected = ", ".join(f"{s}.zip" for s in SOURCES)
            raise ValueError(f"root {str(root)!r} has no Omniglot layout: expected one of {expected} (or unzipped)")
        names = sorted(characters)
        chosen = [names[i] for i in split_names(names, split, seed, fractions)]
        per_class = min(len(files) for files in characters.values())     # the same in every split
        if any(len(files) != per_class for files in characters.values()):
            warnings.warn(f"Omniglot: characters have {per_class} or more images; all truncated to {per_class}")
        files = [f for n in chosen for f in characters[n][:per_class]]
        images = torch.from_numpy(_decode(files, RESAMPLE[resample]))
        images = images.reshape(len(chosen), per_class, 1, 28, 28)                     # [classes, per_class, 1, 28, 28]
        if rotations and split == "train":
            turned = [torch.rot90(images, k, dims=(-2, -1)) for k in range(4)]        # counter-clockwise
            images = torch.stack(turned, 1).flatten(0, 1)  # [classes * 4, per_class, 1, 28, 28]
            chosen = [n + suffix for n in chosen for suffix in ("", "@rot90", "@rot180", "@rot270")]
        super().__init__(images.contiguous(), chosen, split, "omniglot")
        self.root = root
