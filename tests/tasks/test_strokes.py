"""The shipped pen strokes: checked against their SHA-256 and their sources', exactly the official files' values,
rebuilt byte for byte by the pack command, and aligned with the images of every Omniglot split."""
from __future__ import annotations

import hashlib
import shutil
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
import pytest

import mlkit.tasks.omniglot as omniglot_module
import mlkit.tasks.pack_strokes as pack_strokes
from mlkit.tasks import Omniglot, Strokes, render_strokes
from mlkit.tasks.omniglot import _index, shipped_root
from mlkit.tasks.pack_strokes import main, pack_folder
from mlkit.tasks.strokes import PACKED

SHIPPED = Path(omniglot_module.__file__).resolve().parents[1] / "data" / "omniglot"
ZLIB_OF_THE_SHIPPED_FILE = "1.2.13"  # the compressed bytes are the same wherever zlib is this version


def _sums(path: Path) -> dict[str, str]:
    return {name.lstrip("*"): digest for digest, name in (line.split() for line in path.read_text().splitlines())}


@pytest.fixture(scope="module")
def shipped() -> Strokes:
    return Strokes()


def test_the_shipped_strokes_are_listed_in_SHA256SUMS_with_their_true_digest():
    sums = _sums(SHIPPED / "SHA256SUMS")
    assert sums[PACKED] == hashlib.sha256((SHIPPED / PACKED).read_bytes()).hexdigest()
    assert (SHIPPED / PACKED).stat().st_size < 2_000_000  # compact: 1.3 MB


def test_the_shipped_strokes_record_the_sha256_of_their_official_sources(shipped, shared_data):
    official = _sums(shared_data / "omniglot" / "SHA256SUMS")
    assert shipped.sources == {name: official[name] for name in
                               ("strokes_background_small1.zip", "strokes_background_small2.zip")}


def test_the_shipped_strokes_cover_every_shipped_drawing(shipped):
    assert len(shipped) == 242 and shipped.alphabets == ["Balinese", "Early_Aramaic", "Greek", "Japanese_(katakana)",
                                                          "Korean", "Latin", "Sanskrit", "Tagalog"]
    assert sum(len(shipped.ids(n)) for n in shipped.class_names) == 4840
    first = shipped.drawings("Latin/character01")[0]
    assert first[0].shape[1] == 3 and first[0].dtype == np.float64 and first[0][0, 2] == 0.0
    with pytest.raises(ValueError):
        first[0][0, 0] = 1.0  # shared arrays are read-only


def test_the_shipped_strokes_equal_the_official_files_exactly(shipped, shared_data):
    official = Strokes(shared_data / "omniglot")
    assert official.class_names == shipped.class_names
    for name in shipped.class_names:
        assert shipped.ids(name) == official.ids(name)
        for mine, theirs in zip(shipped.drawings(name), official.drawings(name)):
            assert len(mine) == len(theirs) and all(np.array_equal(a, b) for a, b in zip(mine, theirs))


def _members(path: Path) -> dict[str, bytes]:
    """The uncompressed arrays of an npz (its compressed bytes also depend on the zlib build)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_pack_command_rebuilds_the_shipped_file_byte_for_byte(shared_data, tmp_path, monkeypatch, capsys):
    out = tmp_path / "again.npz"
    assert main(["--from", str(shared_data / "omniglot"), "--out", str(out)]) == 0
    assert _members(out) == _members(SHIPPED / PACKED)
    if zlib.ZLIB_RUNTIME_VERSION == ZLIB_OF_THE_SHIPPED_FILE:
        assert out.read_bytes() == (SHIPPED / PACKED).read_bytes()
        assert f"wrote {out} (1.27 MB, SHA-256 {_sums(SHIPPED / 'SHA256SUMS')[PACKED]})" in capsys.readouterr().out
    assert main(["--from", str(tmp_path)]) == 2
    assert "error: --from must be a folder holding official stroke archives" in capsys.readouterr().out
    copy = tmp_path / "omniglot"  # without --out: into the package, its SHA256SUMS line updated
    shutil.copytree(SHIPPED, copy)
    (copy / PACKED).write_bytes(b"stale")
    monkeypatch.setattr(pack_strokes, "SHIPPED", copy)
    pack_folder(shared_data / "omniglot")
    assert _members(copy / PACKED) == _members(SHIPPED / PACKED)
    digest = hashlib.sha256((copy / PACKED).read_bytes()).hexdigest()
    assert (copy / "SHA256SUMS").read_text() == (SHIPPED / "SHA256SUMS").read_text().replace(
        _sums(SHIPPED / "SHA256SUMS")[PACKED], digest)


def test_a_corrupt_shipped_strokes_file_is_refused_on_load(tmp_path, monkeypatch):
    copy = tmp_path / "omniglot"
    shutil.copytree(SHIPPED, copy)
    data = bytearray((copy / PACKED).read_bytes())
    data[len(data) // 2] ^= 1
    (copy / PACKED).write_bytes(bytes(data))
    monkeypatch.setattr(omniglot_module, "SHIPPED", copy)
    shipped_root.cache_clear()
    try:
        with pytest.raises(ValueError, match=rf"the shipped Omniglot file {copy / PACKED} is missing or corrupt"):
            Strokes()
    finally:
        shipped_root.cache_clear()


@pytest.mark.parametrize("split, rotations", [("train", True), ("val", False), ("test", False)])
def test_omniglot_strokes_are_the_drawings_behind_its_images(split, rotations):
    data = Omniglot(split=split, rotations=rotations)
    index = _index(shipped_root())
    for c in range(0, data.n_classes, 9):
        name, _, turn = data.class_names[c].partition("@rot")
        drawings = data.strokes(c)
        assert len(drawings) == data.per_class == 20
        stems = [PurePosixPath(member).stem for _, member in index[name]]
        assert [Strokes().drawing(name, stem) is not None for stem in stems] == [True] * 20
        if not turn:
            assert all(d is Strokes().drawing(name, s) for d, s in zip(drawings, stems))  # the same arrays
        for i in (0, 7):  # the rendered strokes look like the image, rotated classes included
            difference = (render_strokes(drawings[i]) - data.images[c, i].float() / 255).abs().mean()
            others = (render_strokes(drawings[i]) - data.images[c, (i + 1) % 20].float() / 255).abs().mean()
            assert float(difference) < 0.05 and float(difference) < float(others)


def test_omniglot_strokes_come_from_the_same_folder_as_its_images(shared_data, tmp_path):
    for name in ("images_background_small1.zip", "strokes_background_small1.zip"):
        (tmp_path / name).symlink_to(shared_data / "omniglot" / name)
    data = Omniglot(tmp_path, "test", split_by="character")
    assert len(data.strokes(0)) == 20 and data.strokes(0) == data.strokes(0)
    images_only = tmp_path / "images_only"
    images_only.mkdir()
    (images_only / "images_background_small1.zip").symlink_to(shared_data / "omniglot" / "images_background_small1.zip")
    with pytest.raises(ValueError, match=r"holds no Omniglot stroke files"):
        Omniglot(images_only, "test", split_by="character").strokes(0)


def test_missing_strokes_of_some_drawings_are_named(shared_data, tmp_path):
    (tmp_path / "images_background_small2.zip").symlink_to(shared_data / "omniglot" / "images_background_small2.zip")
    (tmp_path / "strokes_background_small1.zip").symlink_to(shared_data / "omniglot" / "strokes_background_small1.zip")
    data = Omniglot(tmp_path, "train", alphabets=["Tagalog"])
    with pytest.raises(ValueError, match=r"has no pen strokes for drawing Tagalog/character01/\d{4}_01 \(and 19 more"):
        data.strokes(0)
    with pytest.raises(ValueError, match=r"c must be an integer >= 0 and <= \d+, got 999"):
        data.strokes(999)


def test_unknown_characters_and_drawings_are_named(shipped):
    with pytest.raises(ValueError, match=r"character 'Latin/character99' has no strokes in .* 242 characters"):
        shipped.drawings("Latin/character99")
    with pytest.raises(ValueError, match=r"drawing '9999_01' of Latin/character01 is not in"):
        shipped.drawing("Latin/character01", "9999_01")
