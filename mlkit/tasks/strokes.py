"""Omniglot's pen strokes (Lake, Salakhutdinov & Tenenbaum 2015, Science, "Human-level concept learning through
probabilistic program induction"): every drawing as the trajectory of the pen that made it.

**Reading.** ``Strokes()`` reads the strokes shipped with mlkit: every drawing of the two small background subsets
(242 characters, 4,840 drawings), from one compact file checked against its SHA-256 like the images
(``mlkit.tasks.stroke_pack`` describes the file). ``Strokes(path)`` reads instead a folder holding the official stroke
archives (``strokes_background.zip``, ``strokes_evaluation.zip``, ``strokes_background_small1.zip``,
``strokes_background_small2.zip`` or their unpacked folders, any of them), one zip or folder of stroke files, or an
alphabet saved with ``save_alphabet``: all read the same way (``mlkit.tasks.stroke_files`` has the text format).
``Omniglot(...).strokes(c)`` gives the strokes of the drawings behind the images of class ``c``, in the same order.

A drawing is a list of strokes, each a float64 array [n, 3] of (x, y, t): the pen's position in the 105x105 image's
pixel units (y negative downwards) and the time in milliseconds. ``render_strokes`` (``mlkit.tasks.render``) turns
one into the image a model reads.

**Rebuilding the shipped file** from the official archives: ``python -m mlkit.tasks.pack_strokes --from DIR``
(``mlkit.tasks.pack_strokes``).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from mlkit.tasks.stroke_files import STROKE_SOURCES, CharacterDrawings, Drawing, read_stroke_source
from mlkit.tasks.stroke_pack import unpack

PACKED = "strokes_background_small.npz"  # the shipped strokes, beside the shipped images


def _signature(path: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of the file ``path`` or of every file under the folder ``path``: a
    change to any of them reads the strokes afresh."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)


def cached_drawings(path: Path) -> tuple[CharacterDrawings, dict[str, str]]:
    """Drawings and recorded sources under ``path``, read once until a file under it changes."""
    return _load_cached(path, _signature(path))


@lru_cache(maxsize=8)
def _load_cached(path: Path, signature: tuple[tuple[str, int, int], ...]) -> tuple[CharacterDrawings, dict[str, str]]:
    if path.is_file() and path.suffix.lower() == ".npz":
        return unpack(path)
    if path.is_dir():
        sources = [path / f"{s}.zip" if (path / f"{s}.zip").is_file() else path / s for s in STROKE_SOURCES]
        sources = [s for s in sources if s.exists()]
        if sources:  # each archive read (and cached) on its own; a character is kept from the first that has it
            merged: CharacterDrawings = {}
            for source in sources:
                for key, drawings in cached_drawings(source.resolve())[0].items():
                    merged.setdefault(key, drawings)
            return merged, {}
        if (path / PACKED).is_file():
            return cached_drawings(path / PACKED)
    found = read_stroke_source(path)
    for drawings in found.values():
        for strokes in drawings.values():
            for stroke in strokes:
                stroke.flags.writeable = False  # shared by every reader of the cache
    return found, {}


def shipped_strokes_file() -> Path:
    """The shipped strokes file, after checking the SHA-256 of every shipped Omniglot file."""
    from mlkit.tasks.omniglot import shipped_root

    path = shipped_root() / PACKED
    if not path.is_file():
        raise ValueError(f"the shipped Omniglot strokes are missing ({path} not found): reinstall mlkit")
    return path


class Strokes:
    """The pen strokes of Omniglot drawings, by character (``"Alphabet/characterNN"``, sorted).

    Args:
        root: None (default): the strokes shipped with mlkit (the two small background subsets). Otherwise a
            folder holding Omniglot stroke archives or their unpacked folders, one zip or folder of stroke files
            (``<Alphabet>/characterNN/<id>_<drawer>.txt``, with or without a top folder), or a packed ``.npz``.

    The arrays are shared and read-only: transform copies (``perturb_strokes`` does).
    """

    def __init__(self, root: str | Path | None = None) -> None:
        path = shipped_strokes_file() if root is None else Path(root).expanduser()
        if not path.exists():
            raise ValueError(f"root must be a folder or file of Omniglot strokes, got {str(path)!r} (not found)")
        self.root = path
        self._characters, self.sources = cached_drawings(path.resolve())
        self.class_names = sorted(self._characters)

    def __len__(self) -> int:
        return len(self.class_names)

    def __contains__(self, name: object) -> bool:
        return name in self._characters

    def _character(self, name: str) -> dict[str, Drawing]:
        if name not in self._characters:
            examples = ", ".join(self.class_names[:3])
            raise ValueError(f"character {name!r} has no strokes in {self.root} (its {len(self)} characters are "
                             f"named like {examples}, ...)")
        return self._characters[name]

    @property
    def alphabets(self) -> list[str]:
        """The sorted alphabet names."""
        return sorted({name.split("/")[0] for name in self.class_names})

    def ids(self, name: str) -> list[str]:
        """The drawing ids (file stems ``"<id>_<drawer>"``) of character ``name``, in file order."""
        return list(self._character(name))

    def drawings(self, name: str) -> list[Drawing]:
        """Every drawing of character ``name`` in file order: each a list of strokes [n, 3] of (x, y, t)."""
        return list(self._character(name).values())

    def drawing(self, name: str, drawing_id: str) -> Drawing:
        """One drawing of character ``name`` by its id (``"0108_01"``)."""
        found = self._character(name)
        if drawing_id not in found:
            raise ValueError(f"drawing {drawing_id!r} of {name} is not in {self.root}; its drawings: "
                             f"{', '.join(list(found)[:5])}...")
        return found[drawing_id]

    def __repr__(self) -> str:
        drawings = sum(len(d) for d in self._characters.values())
        return f"Strokes({len(self)} characters, {drawings} drawings, from {self.root})"
