"""Omniglot's pen-stroke files: read and write the text format, and find them in zips and folders.

Lake, Salakhutdinov & Tenenbaum (2015, Science, "Human-level concept learning through probabilistic program
induction") recorded every Omniglot drawing online, as pen trajectories; the Omniglot repository publishes each
drawing's trajectory beside its image. One drawing is one text file ``<id>_<drawer>.txt``::

    START
    x,y,t          one line per pen position: x, y in the 105x105 image's pixel units (y negative downwards),
    x,y,t          t in milliseconds (integers in the official files, sampled unevenly)
    BREAK          after each stroke (pen lifted)

In mlkit a **stroke** is a float64 array [n, 3] of (x, y, t) rows and a **drawing** is a list of strokes
(``Drawing``). The official archives hold one file per image, in the layout of the images:
``<top>/<Alphabet>/characterNN/<id>_<drawer>.txt`` (``strokes_background.zip``, ``strokes_evaluation.zip``,
``strokes_background_small1.zip``, ``strokes_background_small2.zip``, or their unpacked folders); an alphabet saved by
``save_alphabet`` (e.g. one a student drew) has the same layout without the top folder. ``read_stroke_source`` reads
either, skipping the ``__MACOSX/`` and ``.DS_Store`` entries that the official zips carry.

Refused, each with a ``ValueError`` naming the file: a file without ``START``, a line that is not three numbers,
NaN or infinite values, a stroke with no point (two ``BREAK`` in a row), a file with no stroke, text that is not
UTF-8, a zip whose stroke files are not in the layout above. Points off the 105x105 canvas are kept: the official
files have a few just past its edge (``mlkit.tasks.render`` clips them, as the edge of the paper did).
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Iterable, Mapping, Sequence

import numpy as np

Drawing = list[np.ndarray]  # the strokes of one drawing, each float64 [n, 3] of (x, y, t)
CharacterDrawings = dict[str, dict[str, Drawing]]  # "Alphabet/characterNN" -> {drawing id: drawing}

STROKE_SOURCES = ("strokes_background", "strokes_evaluation", "strokes_background_small1",
                  "strokes_background_small2")
LAYOUT = "<Alphabet>/characterNN/<id>_<drawer>.txt (optionally inside one top folder)"
NAME_PART = re.compile(r"^[^/\\:*?\"<>|]+$")  # a folder or file name without separators or reserved characters


def parse_drawing(text: str, where: str) -> Drawing:
    """The strokes of one stroke file's text: a list of float64 arrays [n, 3] of (x, y, t).

    ``where`` names the file in error messages."""
    lines = text.splitlines()
    numbered = [(i + 1, line.strip()) for i, line in enumerate(lines) if line.strip()]
    if not numbered or numbered[0][1] != "START":
        first = repr(numbered[0][1][:40]) if numbered else "nothing"
        raise ValueError(f"stroke file {where} must begin with a line START (Omniglot's stroke format: START, then "
                         f"x,y,t lines, BREAK after each stroke), found {first}")
    strokes: Drawing = []
    points: list[tuple[float, float, float]] = []
    for number, line in numbered[1:]:
        if line == "BREAK":
            if not points:
                raise ValueError(f"stroke file {where}, line {number}: stroke {len(strokes) + 1} is empty (BREAK with "
                                 f"no x,y,t line before it); every stroke needs at least one point")
            strokes.append(np.array(points, dtype=np.float64))
            points = []
            continue
        fields = line.split(",")
        try:
            values = tuple(float(v) for v in fields)
        except ValueError:
            values = ()
        if len(values) != 3:
            raise ValueError(f"stroke file {where}, line {number}: expected 'x,y,t' (three numbers) or BREAK, "
                             f"got {line[:60]!r}")
        if not all(np.isfinite(values)):
            raise ValueError(f"stroke file {where}, line {number}: x, y and t must be finite numbers, got {line!r}")
        points.append(values)  # type: ignore[arg-type]
    if points:  # a last stroke without its BREAK: kept
        strokes.append(np.array(points, dtype=np.float64))
    if not strokes:
        raise ValueError(f"stroke file {where} holds no stroke (START and then no x,y,t line): an empty drawing")
    return strokes


def format_drawing(strokes: Sequence[np.ndarray]) -> str:
    """The text of a stroke file for ``strokes`` (each [n, 3] of x, y, t): x and y with 6 decimals, t in whole ms."""
    lines = ["START"]
    for stroke in check_drawing(strokes, "strokes"):
        lines.extend(f"{x:.6f},{y:.6f},{round(t)}" for x, y, t in stroke.tolist())
        lines.append("BREAK")
    return "\n".join(lines) + "\n"


def check_drawing(strokes: object, name: str = "strokes") -> Drawing:
    """``strokes`` as a list of float64 arrays [n >= 1, 3] of finite (x, y, t); a ``ValueError`` naming ``name``
    (and the stroke) otherwise. Arrays [n, 2] get t = 0."""
    if isinstance(strokes, np.ndarray) or not isinstance(strokes, (list, tuple)):
        raise ValueError(f"{name} must be a list of strokes, each an array [n, 3] of (x, y, t), "
                         f"got {type(strokes).__name__}")
    if not strokes:
        raise ValueError(f"{name} is an empty drawing (no stroke): draw at least one stroke or dot")
    out = []
    for i, stroke in enumerate(strokes):
        try:
            array = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name}[{i}] must be an array [n, 3] of numbers (x, y, t), got {stroke!r:.60}") from None
        if array.ndim != 2 or array.shape[1] not in (2, 3):
            raise ValueError(f"{name}[{i}] must be an array [n, 3] of (x, y, t), got shape {array.shape}")
        if array.shape[0] == 0:
            raise ValueError(f"{name}[{i}] is an empty stroke (no point); every stroke needs at least one point")
        if not np.isfinite(array).all():
            raise ValueError(f"{name}[{i}] holds NaN or infinite coordinates; x, y and t must be finite")
        if array.shape[1] == 2:
            array = np.concatenate([array, np.zeros((len(array), 1))], 1)
        out.append(array)
    return out


def _member_parts(name: str) -> tuple[str, ...]:
    return PurePosixPath(name.replace("\\", "/")).parts


def _skipped(parts: tuple[str, ...]) -> bool:
    return not parts or parts[0] == "__MACOSX" or parts[-1] == ".DS_Store" or parts[-1].startswith("._")


def _natural(text: str) -> list[object]:
    """Sort key that orders "2_10" after "2_9" (ids and drawers compared as numbers)."""
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", text)]


def _collect(entries: Iterable[tuple[tuple[str, ...], str]], where: str) -> dict[str, list[tuple[str, str]]]:
    """``(parts, handle)`` of every .txt entry -> "Alphabet/characterNN" -> sorted (drawing id, handle)."""
    found: dict[str, list[tuple[str, str]]] = {}
    depths = set()
    for parts, handle in entries:
        if _skipped(parts) or not parts[-1].lower().endswith(".txt"):
            continue
        if len(parts) not in (3, 4):
            raise ValueError(f"{where} is not in Omniglot's stroke layout {LAYOUT}: found {'/'.join(parts)!r}")
        depths.add(len(parts))
        key = f"{parts[-3]}/{parts[-2]}"
        found.setdefault(key, []).append((PurePosixPath(parts[-1]).stem, handle))
    if len(depths) > 1:
        raise ValueError(f"{where} mixes stroke files with and without a top folder; expected one layout: {LAYOUT}")
    if not found:
        raise ValueError(f"{where} holds no Omniglot stroke files: expected text files in the layout {LAYOUT}")
    return {key: sorted(files, key=lambda f: _natural(f[0])) for key, files in found.items()}


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not an Omniglot stroke file (not UTF-8 text; expected START, then x,y,t "
                         f"lines)") from None


def read_drawing(path: str | Path) -> Drawing:
    """The strokes of one stroke file ``<id>_<drawer>.txt``."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ValueError(f"stroke file not found: {path}")
    return parse_drawing(_decode(path.read_bytes(), str(path)), str(path))


def read_zip(path: Path) -> CharacterDrawings:
    """Every drawing in a zip of stroke files: "Alphabet/characterNN" -> {drawing id: strokes}."""
    where = f"zip file {path}"
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{path} is not a readable zip file of Omniglot strokes ({error})") from None
    with archive:
        names = archive.namelist()
        for name in names:
            parts = _member_parts(name)
            if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                raise ValueError(f"{where} has an entry that escapes its folder: {name!r}")
        files = _collect(((_member_parts(n), n) for n in names), where)
        return {key: {stem: parse_drawing(_decode(archive.read(member), f"{path.name}:{member}"),
                                          f"{path.name}:{member}") for stem, member in entries}
                for key, entries in files.items()}


def read_folder(folder: Path) -> CharacterDrawings:
    """Every drawing in an unpacked folder ``<Alphabet>/characterNN/*.txt`` (files must lie inside it)."""
    inside = folder.resolve()
    entries = []
    for path in folder.glob("*/*/*.txt"):
        if not path.resolve().is_relative_to(inside):
            raise ValueError(f"folder {folder}: {path} links to a file outside it ({path.resolve()}); only files "
                             f"inside the folder are read")
        entries.append(((path.parent.parent.name, path.parent.name, path.name), str(path)))
    files = _collect(entries, f"folder {folder}")
    return {key: {stem: parse_drawing(_decode(Path(p).read_bytes(), p), p) for stem, p in found}
            for key, found in files.items()}


def read_stroke_source(path: str | Path) -> CharacterDrawings:
    """The drawings under ``path``: "Alphabet/characterNN" -> {drawing id: strokes}, ids in file order.

    ``path`` is a zip of stroke files, a folder holding the official archives or their unpacked folders (read in the
    order ``strokes_background``, ``strokes_evaluation``, ``strokes_background_small1``, ``..._small2``; a character
    found in two of them, as Greek and Latin are in both small subsets, is kept from the first), or one unpacked
    folder of the layout ``<Alphabet>/characterNN/<id>_<drawer>.txt``.
    """
    path = Path(path).expanduser()
    if path.is_file() and path.suffix.lower() == ".txt":
        raise ValueError(f"{path} is one stroke file (one drawing): read it with read_drawing; strokes of many "
                         f"drawings come from a zip or a folder")
    if path.is_file():
        return read_zip(path)
    if not path.is_dir():
        raise ValueError(f"strokes must come from a zip file or a folder of Omniglot stroke files; {path} does not "
                         f"exist")
    found: CharacterDrawings = {}
    sources = [path / f"{s}.zip" if (path / f"{s}.zip").is_file() else path / s for s in STROKE_SOURCES]
    sources = [s for s in sources if s.exists()]
    if not sources:
        return read_folder(path)
    for source in sources:
        for key, drawings in (read_zip(source) if source.is_file() else read_folder(source)).items():
            found.setdefault(key, drawings)
    return found


def save_alphabet(path: str | Path, characters: Mapping[str, Sequence[Sequence[np.ndarray]]],
                  alphabet: str = "My_alphabet") -> Path:
    """Write drawings as a zip of stroke files, ``<alphabet>/<character>/<id>_<drawer>.txt``; returns the path.

    ``characters`` maps each character's folder name (e.g. ``"character01"``) to its drawings (lists of strokes
    [n, 3] of x, y, t). The k-th drawing of the c-th character is ``<cccc>_<kk>.txt`` (both counted from 1), so
    ``load_alphabet`` gives them back in the same order. The zip reads like an official one (``Strokes(path)``).
    """
    path = Path(path).expanduser()
    if not NAME_PART.match(alphabet) or alphabet in (".", ".."):
        raise ValueError(f"alphabet must be a folder name (no '/', '\\\\' or reserved characters), got {alphabet!r}")
    if not characters:
        raise ValueError("characters must hold at least one character with a drawing, got none")
    texts = {}
    for c, (name, drawings) in enumerate(characters.items()):
        if not isinstance(name, str) or not NAME_PART.match(name) or name in (".", ".."):
            raise ValueError(f"character names must be folder names such as 'character01', got {name!r}")
        if not drawings:
            raise ValueError(f"character {name!r} has no drawing; give it at least one or leave it out")
        for k, strokes in enumerate(drawings):
            text = format_drawing(check_drawing(list(strokes), f"character {name!r}, drawing {k + 1}"))
            texts[f"{alphabet}/{name}/{c + 1:04d}_{k + 1:02d}.txt"] = text
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in texts.items():
            archive.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), text)
    try:
        path.write_bytes(buffer.getvalue())
    except OSError as error:
        raise ValueError(f"cannot write the alphabet to {path}: {error}") from None
    return path


def load_alphabet(path: str | Path, alphabet: str | None = None) -> dict[str, list[Drawing]]:
    """The drawings of one alphabet of a stroke zip or folder: character folder name -> its drawings in file order.

    ``alphabet``: which one, where the file holds several (None: the file's only alphabet)."""
    found = read_stroke_source(path)
    names = sorted({key.split("/")[0] for key in found})
    if alphabet is None and len(names) > 1:
        raise ValueError(f"{path} holds {len(names)} alphabets ({', '.join(names[:5])}"
                         f"{', ...' if len(names) > 5 else ''}); choose one with alphabet=")
    chosen = names[0] if alphabet is None else alphabet
    if chosen not in names:
        raise ValueError(f"alphabet must be one of {', '.join(names)} (the alphabets in {path}), got {alphabet!r}")
    keys = sorted((k for k in found if k.split("/")[0] == chosen), key=_natural)
    return {key.split("/")[1]: list(found[key].values()) for key in keys}
