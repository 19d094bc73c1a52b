"""Rebuild the shipped pen strokes from the official Omniglot archives: ``python -m mlkit.tasks.pack_strokes``.

The strokes mlkit ships (``mlkit.tasks.strokes``) are the Omniglot repository's ``strokes_background_small1.zip``
and ``strokes_background_small2.zip`` (Lake, Salakhutdinov & Tenenbaum 2015, Science, "Human-level concept learning
through probabilistic program induction"), packed into one compact file (``mlkit.tasks.stroke_pack``). With the
two archives in a folder DIR::

    python -m mlkit.tasks.pack_strokes --from DIR

writes ``mlkit/data/omniglot/strokes_background_small.npz`` with the archives' SHA-256 inside and updates its line
in ``mlkit/data/omniglot/SHA256SUMS``; ``--out FILE`` writes elsewhere and leaves the package alone. The arrays are
the same byte for byte on every run, and so is the file where zlib is the same version (the shipped one was written
with zlib 1.2.13). Any official stroke archives in DIR are packed (``strokes_background.zip`` ... too); a character
found in two of them is kept from the first, in the order of ``STROKE_SOURCES``.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Sequence

from mlkit.tasks.omniglot import SHIPPED
from mlkit.tasks.stroke_files import STROKE_SOURCES, CharacterDrawings
from mlkit.tasks.stroke_pack import pack
from mlkit.tasks.strokes import PACKED, cached_drawings


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pack_folder(folder: str | Path, out: str | Path | None = None) -> Path:
    """Pack every stroke archive in ``folder`` into one ``.npz`` (default: the shipped file, whose line in
    ``SHA256SUMS`` is then updated); returns the written path."""
    folder = Path(folder).expanduser()
    archives = [folder / f"{s}.zip" for s in STROKE_SOURCES if (folder / f"{s}.zip").is_file()]
    if not archives:
        raise ValueError(f"--from must be a folder holding official stroke archives "
                         f"({', '.join(s + '.zip' for s in STROKE_SOURCES)}), got {str(folder)!r}")
    characters: CharacterDrawings = {}
    for archive in archives:
        for key, drawings in cached_drawings(archive.resolve())[0].items():
            characters.setdefault(key, drawings)
    data = pack(characters, {a.name: sha256(a) for a in archives})
    target = SHIPPED / PACKED if out is None else Path(out).expanduser()
    target.write_bytes(data)
    if out is None:
        listing = SHIPPED / "SHA256SUMS"
        lines = [line for line in listing.read_text().splitlines() if not line.endswith(f"  {PACKED}")]
        listing.write_text("\n".join([*lines, f"{hashlib.sha256(data).hexdigest()}  {PACKED}"]) + "\n")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mlkit.tasks.pack_strokes --from DIR [--out FILE]``."""
    p = argparse.ArgumentParser(prog="python -m mlkit.tasks.pack_strokes",
                                description="pack the official Omniglot stroke archives of a folder into one file")
    p.add_argument("--from", dest="source", required=True, help="folder holding strokes_background_small1.zip ...")
    p.add_argument("--out", default=None, help="where to write (default: the file shipped in mlkit/data/omniglot)")
    args = p.parse_args(argv)
    try:
        path = pack_folder(args.source, args.out)
    except ValueError as error:
        print(f"error: {error}")
        return 2
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, SHA-256 {sha256(path)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
