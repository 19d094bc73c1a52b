"""One compact file of Omniglot pen strokes (Lake, Salakhutdinov & Tenenbaum 2015): how mlkit ships them.

The official stroke archives are about 100 text files per character; mlkit ships the strokes of its two small
background subsets as one ``.npz`` instead (a zip of numpy arrays, read with ``numpy.load``, no pickles), written
byte for byte the same on every run so that its SHA-256 can be checked:

- ``format``: the format's name and version; ``sources``: JSON, the SHA-256 of each archive it was built from;
- ``characters`` [C]: the sorted names ``"Alphabet/characterNN"``; ``drawings_per_character`` [C];
- ``drawing_ids`` [D]: each drawing's file stem ``"<id>_<drawer>"``, per character in file order;
  ``strokes_per_drawing`` [D]; ``points_per_stroke`` [S];
- ``xy`` [P, 2] int32: x and y in units of 1/``xy_scale`` pixel, each point stored as its difference to the point
  before (over the whole array, so a cumulative sum gives them back); ``t`` [P] int32: milliseconds, likewise.

The official files give x and y with at most 8 significant digits (7 decimals here) and t in whole milliseconds,
so nothing is rounded: ``pack`` picks the smallest ``xy_scale`` (10^6, 10^7 or 10^8) that stores every value
exactly, and refuses if none does. Unpacked, the arrays are exactly what
``mlkit.tasks.stroke_files`` reads from the archives.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from mlkit.tasks.stroke_files import CharacterDrawings

FORMAT = "mlkit-omniglot-strokes 1"
SCALES = (10 ** 6, 10 ** 7, 10 ** 8)  # x, y stored in the first of these fractions of a pixel that keeps them exact
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entry dates, so that the same strokes give the same bytes


def _exact(values: np.ndarray, scales: tuple[int, ...], what: str) -> tuple[np.ndarray, int]:
    """(``values * scale`` as int64, ``scale``) for the first of ``scales`` whose integers give the values back
    exactly and whose differences fit in int32."""
    for scale in scales:
        scaled = np.round(values * scale)
        if np.array_equal(scaled / scale, values) and np.abs(np.diff(scaled, axis=0, prepend=0)).max() < 2 ** 31:
            return scaled.astype(np.int64), scale
    raise ValueError(f"{what} cannot be stored exactly in 1/{scales[-1]} units: more decimals than the official "
                     f"stroke files have")


def pack(characters: CharacterDrawings, sources: dict[str, str]) -> bytes:
    """The bytes of the ``.npz`` holding ``characters`` ("Alphabet/characterNN" -> {drawing id: strokes}) and the
    SHA-256 of their ``sources`` (archive name -> hex digest)."""
    names = sorted(characters)
    ids = [i for n in names for i in characters[n]]
    drawings = [d for n in names for d in characters[n].values()]
    strokes = [s for d in drawings for s in d]
    points = np.concatenate(strokes)  # [P, 3]
    xy, scale = _exact(points[:, :2], SCALES, "x, y")  # [P, 2]
    t, _ = _exact(points[:, 2], (1,), "t (whole milliseconds)")  # [P]
    arrays = {
        "format": np.array(FORMAT),
        "sources": np.array(json.dumps(sources, sort_keys=True)),
        "xy_scale": np.array(scale, np.int64),
        "characters": np.array(names),
        "drawings_per_character": np.array([len(characters[n]) for n in names], np.int32),
        "drawing_ids": np.array(ids),
        "strokes_per_drawing": np.array([len(d) for d in drawings], np.int32),
        "points_per_stroke": np.array([len(s) for s in strokes], np.int32),
        "xy": np.diff(xy, axis=0, prepend=0).astype(np.int32),
        "t": np.diff(t, prepend=0).astype(np.int32),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for key, array in arrays.items():
            entry = io.BytesIO()
            np.lib.format.write_array(entry, array, allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=FIXED_TIME), entry.getvalue(),
                             compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buffer.getvalue()


def unpack(path: Path) -> tuple[CharacterDrawings, dict[str, str]]:
    """The drawings of a file written by ``pack`` (arrays read-only) and its sources' SHA-256."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a packed stroke file ({error})") from None
    if str(arrays.get("format", "")) != FORMAT:
        raise ValueError(f"{path} is not a packed stroke file of format {FORMAT!r}")
    xy = np.cumsum(arrays["xy"].astype(np.int64), axis=0) / int(arrays["xy_scale"])  # [P, 2]
    t = np.cumsum(arrays["t"].astype(np.int64)).astype(np.float64)  # [P]
    points = np.concatenate([xy, t[:, None]], 1)  # [P, 3]
    points.flags.writeable = False
    strokes = np.split(points, np.cumsum(arrays["points_per_stroke"])[:-1])
    drawings = np.split(np.arange(len(strokes)), np.cumsum(arrays["strokes_per_drawing"])[:-1])
    per_character = np.split(np.arange(len(drawings)), np.cumsum(arrays["drawings_per_character"])[:-1])
    ids = arrays["drawing_ids"].tolist()
    out: CharacterDrawings = {
        str(name): {ids[d]: [strokes[s] for s in drawings[d]] for d in members}
        for name, members in zip(arrays["characters"].tolist(), per_character)
    }
    return out, json.loads(str(arrays["sources"]))
