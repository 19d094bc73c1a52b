"""Omniglot (Lake, Salakhutdinov & Tenenbaum 2015): handwritten characters of many alphabets, 20 drawers each.

**Shipped data.** mlkit ships the two small background subsets of the Omniglot repository (8 alphabets, 242
characters, MIT licence) in ``mlkit/data/omniglot``: ``Omniglot()`` with no folder reads them, after checking their
SHA-256 sums. A folder can be given instead: the official archives are read straight from their zips (zipfile +
Pillow, nothing extracted) or from their unpacked folders, ``images_background``, ``images_evaluation``,
``images_background_small1``, ``images_background_small2``, whichever are present. Inside each:
``<top>/<Alphabet>/characterNN/<id>_<drawer>.png``, 105x105 one-bit images.

**Images.** Each image goes through ``mlkit.tasks.image_files.ink_pixels`` (the same steps as a user's own image):
grey, resized to 28x28 by default (``image_size``; ``resample="box"`` averages areas; ``"nearest"`` reproduces the 28x28 files of MAML and
Reptile, which Pillow made with NEAREST because it forces that filter on one-bit images), and inverted so the
strokes are bright (255) on black. Characters are named ``"Alphabet/characterNN"`` (Greek and Latin appear in both
small subsets: kept once).

**Two splits** (``split_by``):

- ``"alphabet"`` (the default, the hard benchmark): whole alphabets are held out, as in Lake et al.'s one-shot
  classification task, where a model must recognise characters of alphabets it never saw. ``split_alphabets``
  shuffles the sorted alphabet names with ``seed``; the first ``n_test`` alphabets with at least 20 characters are
  the test alphabets, the next such one the validation alphabet, the others train (so that 20-way episodes within
  one alphabet exist in test and validation). With the shipped subsets and the default seed 1: test = Latin (26
  characters) and Balinese (24), validation = Early_Aramaic (22), train = Greek, Japanese_(katakana), Korean,
  Sanskrit and Tagalog (170 characters). Seed 1 was chosen for this split: its test alphabets are one that most
  readers know and one of similar-looking characters, and it leaves 170 of the 242 characters for training.
- ``"character"`` (the easy setting): characters shuffled with ``seed`` (default 0) and split 1100 : 100 : 423 as
  in the MAML code, so every alphabet appears in every split.

**Strokes.** ``strokes(c)`` gives the pen strokes of the drawings behind ``images[c]``, in the same order (a rotated
class's strokes turned with it), from the shipped strokes or the stroke archives in the same folder
(``strokes_background.zip`` ..., see ``mlkit.tasks.strokes``); ``render_strokes`` draws them as the images are.

``rotations=True`` adds each train character turned by 90, 180 and 270 degrees as three new classes (Vinyals et al.
2016; Reptile's protocol); val and test are never rotated. A class's alphabet (``ImageDataset.alphabets``) is the
part of its name before "/", rotations included, so episodes can be drawn within one alphabet (``EpisodeSampler(...,
within_alphabet=True)``).
"""
from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image

from mlkit.checks import check_choice, check_int
from mlkit.tasks.image_files import RESAMPLE, ink_pixels
from mlkit.tasks.images import SPLITS, ImageDataset, split_names

SOURCES = ("images_background", "images_evaluation", "images_background_small1", "images_background_small2")
FRACTIONS = (1100 / 1623, 100 / 1623, 423 / 1623)
SPLIT_BY = ("alphabet", "character")
DEFAULT_SEED = {"alphabet": 1, "character": 0}
MIN_EVAL_CHARACTERS = 20  # test and validation alphabets allow 20-way episodes within one alphabet
SHIPPED = Path(__file__).resolve().parents[1] / "data" / "omniglot"


@lru_cache(maxsize=None)
def shipped_root() -> Path:
    """The folder of the shipped subsets, after checking every file listed in its ``SHA256SUMS``."""
    listing = SHIPPED / "SHA256SUMS"
    if not listing.is_file():
        raise ValueError(f"the shipped Omniglot data is missing ({listing} not found): reinstall mlkit, "
                         "or give Omniglot a folder holding the Omniglot zips")
    for line in listing.read_text().splitlines():
        digest, name = line.split()
        path = SHIPPED / name.lstrip("*")
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise ValueError(f"the shipped Omniglot file {path} is missing or corrupt (its SHA-256 does not match "
                             f"SHA256SUMS): reinstall mlkit")
    return SHIPPED


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
    """``"Alphabet/characterNN"`` -> sorted (source, member) pairs; the first source to hold a character wins.

    Files of unpacked folders must lie inside ``root`` once symbolic links are resolved."""
    characters: dict[str, list[tuple[Path, str]]] = {}
    inside = root.resolve()
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
                if not png.resolve().is_relative_to(inside):
                    raise ValueError(f"root {str(root)!r}: {png} links to a file outside the root folder "
                                     f"({png.resolve()}); Omniglot reads only files inside its root")
                found.setdefault(f"{png.parent.parent.name}/{png.parent.name}", []).append((png, ""))
        for key, files in found.items():
            characters.setdefault(key, sorted(files))
    return characters


def _decode(files: list[tuple[Path, str]], resample: str, size: int = 28) -> np.ndarray:
    """uint8 [len(files), size, size], strokes 255."""
    out = np.empty((len(files), size, size), np.uint8)
    archives: dict[Path, zipfile.ZipFile] = {}
    try:
        for i, (path, member) in enumerate(files):
            where = f"{path.name}:{member}" if member else str(path)
            try:
                if member:
                    if path not in archives:
                        archives[path] = zipfile.ZipFile(path)
                    data = io.BytesIO(archives[path].read(member))
                else:
                    data = path
                with Image.open(data) as image:
                    out[i] = ink_pixels(image, size, resample, where)
            except (OSError, zipfile.BadZipFile) as error:
                raise ValueError(f"root holds an unreadable Omniglot image {where}: {error}") from None
    finally:
        for archive in archives.values():
            archive.close()
    return out


@lru_cache(maxsize=4)
def _read_all(root: Path, resample: str, size: int = 28) -> tuple[list[str], torch.Tensor]:
    """Every character under ``root``: sorted names and uint8 images [characters, per_class, 1, size, size]
    (decoded once per folder and filter, then shared by every split)."""
    characters = _index(root)
    if not characters:
        expected = ", ".join(f"{s}.zip" for s in SOURCES)
        raise ValueError(f"root {str(root)!r} has no Omniglot layout: expected one of {expected} (or unzipped)")
    names = sorted(characters)
    per_class = min(len(files) for files in characters.values())
    if any(len(files) != per_class for files in characters.values()):
        warnings.warn(f"Omniglot: characters have {per_class} or more images; all truncated to {per_class}")
    files = [f for n in names for f in characters[n][:per_class]]
    images = torch.from_numpy(_decode(files, resample, size)).reshape(len(names), per_class, 1, size, size)
    return names, images


@lru_cache(maxsize=8)
def _drawing_ids(root: Path, per_class: int) -> dict[str, list[str]]:
    """"Alphabet/characterNN" -> the file stems ("0108_01") of the images ``_read_all`` keeps, in their order."""
    return {name: [PurePosixPath(member or path.name).stem for path, member in files[:per_class]]
            for name, files in _index(root).items()}


def alphabet_of(name: str) -> str:
    """``"Greek/character03@rot90"`` -> ``"Greek"``."""
    return name.split("/")[0]


def split_alphabets(counts: dict[str, int], seed: int, n_test: int | None = None, n_val: int | None = None,
                    min_characters: int = MIN_EVAL_CHARACTERS) -> dict[str, list[str]]:
    """Alphabet names per split: ``{"train": [...], "val": [...], "test": [...]}``, each sorted.

    ``counts`` maps each alphabet to its number of characters. The sorted names are shuffled with ``seed`` (numpy's
    PCG64, the same on every machine); in that order the first ``n_test`` alphabets with >= ``min_characters``
    characters are test, the next ``n_val`` such alphabets validation, all others train. Defaults: a quarter of the
    alphabets for test, an eighth (at least one) for validation (8 alphabets: 2 and 1).
    """
    names = sorted(counts)
    n_test = max(1, round(len(names) / 4)) if n_test is None else check_int("n_test", n_test, 1)
    n_val = max(1, round(len(names) / 8)) if n_val is None else check_int("n_val", n_val, 0)
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    eligible = [a for a in order if counts[a] >= min_characters]
    if len(eligible) < n_test + n_val or len(names) <= n_test + n_val:
        raise ValueError(f"n_test + n_val must leave a training alphabet and be <= {len(eligible)} (the alphabets "
                         f"with >= {min_characters} characters), got {n_test} + {n_val}")
    test, val = eligible[:n_test], eligible[n_test:n_test + n_val]
    train = [a for a in names if a not in test and a not in val]
    return {"train": train, "val": sorted(val), "test": sorted(test)}


class Omniglot(ImageDataset):
    """One split of Omniglot: images [classes, per_class, 1, S, S] uint8 (S = ``image_size``), strokes 255 on 0.

    If some characters have fewer images than others (not the case in the official archives), every character is
    truncated to the smallest count over all splits, with a warning, so every class has ``per_class`` images.

    Args:
        root: folder holding Omniglot zips and/or their unpacked folders; None (default): the shipped subsets.
        split: ``"train"``, ``"val"`` or ``"test"``.
        split_by: ``"alphabet"`` (held-out alphabets, the default) or ``"character"`` (the easy setting).
        rotations: add 90/180/270-degree rotations of the train characters as classes (train split only).
        seed: seed of the split; None: 1 for ``split_by="alphabet"``, 0 for ``"character"`` (see the module).
        resample: ``"box"`` (area average) or ``"nearest"`` (the MAML/Reptile files).
        fractions: character split only: fractions of characters for train / val / test.
        alphabets: keep only these alphabets (names as in the archives, e.g. ``["Latin", "Greek"]``), every
            character of them, whatever ``split`` says; ``split`` then only names the dataset.
        image_size: side of the resized images (28, as in the few-shot papers; the archives' own is 105).
    """

    def __init__(
        self, root: str | Path | None = None, split: str = "train", split_by: str = "alphabet",
        rotations: bool = False, seed: int | None = None, resample: str = "box",
        fractions: tuple[float, float, float] = FRACTIONS, alphabets: list[str] | tuple[str, ...] | None = None,
        image_size: int = 28,
    ) -> None:
        check_choice("split", split, SPLITS)
        check_choice("split_by", split_by, SPLIT_BY)
        check_choice("resample", resample, tuple(RESAMPLE))
        check_choice("rotations", rotations, (True, False))
        seed = DEFAULT_SEED[split_by] if seed is None else check_int("seed", seed, 0)
        image_size = check_int("image_size", image_size, 8, 105)
        if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
            raise ValueError(f"fractions must be 3 numbers >= 0 (train, val, test) summing to 1, got {fractions!r}")
        if root is None:
            root = shipped_root()
        root = Path(root).expanduser()
        if not root.is_dir():
            raise ValueError(f"root must be an existing folder holding Omniglot zips or folders, got {str(root)!r}")
        names, images = _read_all(root.resolve(), resample, image_size)
        known = sorted({alphabet_of(n) for n in names})
        if alphabets is not None:
            if isinstance(alphabets, str) or not alphabets:
                raise ValueError(f"alphabets must be a non-empty list of alphabet names, got {alphabets!r}")
            unknown = [a for a in alphabets if a not in known]
            if unknown:
                raise ValueError(f"alphabets must be names from {', '.join(known)}; unknown: {', '.join(unknown)}")
            chosen = [i for i, n in enumerate(names) if alphabet_of(n) in alphabets]
        elif split_by == "alphabet":
            counts = {a: sum(alphabet_of(n) == a for n in names) for a in known}
            held = split_alphabets(counts, seed)[split]
            chosen = [i for i, n in enumerate(names) if alphabet_of(n) in held]
        else:
            chosen = split_names(names, split, seed, fractions)
        class_names = [names[i] for i in chosen]
        images = images[chosen]                                                        # [classes, per_class, 1, S, S]
        if rotations and split == "train":
            turned = [torch.rot90(images, k, dims=(-2, -1)) for k in range(4)]        # counter-clockwise
            images = torch.stack(turned, 1).flatten(0, 1)  # [classes * 4, per_class, 1, S, S]
            class_names = [n + suffix for n in class_names for suffix in ("", "@rot90", "@rot180", "@rot270")]
        super().__init__(images.contiguous(), class_names, split, "omniglot")
        self.root = root
        self.split_by = split_by
        self._strokes: list[list[list[np.ndarray]]] | None = None

    def strokes(self, c: int) -> list[list[np.ndarray]]:
        """The pen strokes of the ``per_class`` drawings behind ``images[c]``, in the same order: each drawing a list
        of float64 arrays [n, 3] of (x, y, t) (``mlkit.tasks.strokes``); a rotated class's strokes are turned with
        its images. ``render_strokes(dataset.strokes(c)[i])`` draws what ``images[c, i]`` shows.

        The strokes come from where the images do: the shipped strokes, or the stroke archives (or unpacked folders)
        in ``root``; a ``ValueError`` names the first drawing that has none there."""
        c = check_int("c", c, 0, self.n_classes - 1)
        if self._strokes is None:
            self._strokes = self._aligned_strokes()
        return self._strokes[c]

    def _aligned_strokes(self) -> list[list[list[np.ndarray]]]:
        from mlkit.tasks.render import rotate_quarter
        from mlkit.tasks.strokes import Strokes

        source = Strokes(self.root)
        ids = _drawing_ids(self.root.resolve(), self.per_class)
        out = []
        for name in self.class_names:
            character, _, turn = name.partition("@rot")
            found = dict(zip(source.ids(character), source.drawings(character))) if character in source else {}
            missing = [i for i in ids[character] if i not in found]
            if missing:
                raise ValueError(f"Omniglot root {str(self.root)!r} has no pen strokes for drawing {character}/"
                                 f"{missing[0]} (and {len(missing) - 1} more of that character): put the stroke "
                                 f"archives (strokes_background.zip ...) beside the image archives")
            drawings = [found[i] for i in ids[character]]
            out.append([rotate_quarter(d, int(turn) // 90) for d in drawings] if turn else drawings)
        return out
