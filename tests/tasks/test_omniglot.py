"""Omniglot on the real small background subsets (shipped in mlkit/data/omniglot), plus one test per refused input.

``Omniglot(folder, split)`` defaults to the alphabet split; the tests of the character split ask for it by name."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
import torch
from PIL import Image

from mlkit.tasks.omniglot import Omniglot

SPLITS = ("train", "val", "test")


def _characters(zip_path: Path) -> set[str]:
    """"Alphabet/characterNN" of every png in a zip, from its listing only."""
    with zipfile.ZipFile(zip_path) as z:
        parts = [PurePosixPath(n).parts for n in z.namelist() if n.endswith(".png")]
    return {f"{p[1]}/{p[2]}" for p in parts}


@pytest.fixture(scope="module")
def roots(omniglot_zips: list[Path], tmp_path_factory) -> dict[str, Path]:
    """Folders holding small1 alone, small2 alone, and both (links to the shared zips)."""
    out = {}
    for key, chosen in (("small1", omniglot_zips[:1]), ("small2", omniglot_zips[1:]), ("both", omniglot_zips)):
        folder = tmp_path_factory.mktemp(key)
        for z in chosen:
            (folder / z.name).symlink_to(z)
        out[key] = folder
    return out


@pytest.fixture(scope="module")
def both(roots) -> dict[str, Omniglot]:
    return {s: Omniglot(roots["both"], s, split_by="character") for s in SPLITS}


def test_subset_character_counts(roots, omniglot_zips):
    assert [z.name for z in omniglot_zips] == ["images_background_small1.zip", "images_background_small2.zip"]
    for key, expected in (("small1", 136), ("small2", 156)):
        assert sum(Omniglot(roots[key], s, split_by="character").n_classes for s in SPLITS) == expected


def test_union_removes_the_shared_greek_and_latin_characters(both, omniglot_zips):
    first, second = (_characters(z) for z in omniglot_zips)
    shared = first & second
    assert {name.split("/")[0] for name in shared} == {"Greek", "Latin"}
    assert len(shared) == 50                                     # 24 Greek + 26 Latin letters
    total = sum(d.n_classes for d in both.values())
    assert total == 136 + 156 - len(shared) == 242


def test_splits_are_disjoint_and_sized_by_fractions(both):
    names = [set(both[s].class_names) for s in SPLITS]
    assert len(set.union(*names)) == sum(len(n) for n in names) == 242
    assert [both[s].n_classes for s in SPLITS] == [164, 15, 63]  # round(242 * 1100/1623), round(242 * 100/1623), rest


def test_images_are_28x28_uint8_with_bright_strokes(both):
    d = both["test"]
    assert d.images.shape == (63, 20, 1, 28, 28) and d.images.dtype == torch.uint8
    assert d.image_shape == (1, 28, 28)
    assert int(d.images.min()) == 0 and int(d.images.max()) == 255
    assert d.images.float().mean() < 40                          # mostly black background, white strokes
    assert len(d.images.unique()) > 2                            # box resampling gives grey edges


def test_nearest_resampling_keeps_two_levels(roots):
    d = Omniglot(roots["small1"], "val", split_by="character", resample="nearest")
    assert set(d.images.unique().tolist()) == {0, 255}


def test_rotations_multiply_train_classes_by_four_and_leave_test_alone(roots):
    plain = Omniglot(roots["small1"], "train", split_by="character")
    turned = Omniglot(roots["small1"], "train", split_by="character", rotations=True)
    assert turned.n_classes == 4 * plain.n_classes
    assert turned.class_names[:4] == [plain.class_names[0] + s for s in ("", "@rot90", "@rot180", "@rot270")]
    assert torch.equal(turned.images[0], plain.images[0])
    assert torch.equal(turned.images[1], torch.rot90(plain.images[0], 1, dims=(-2, -1)))
    test = Omniglot(roots["small1"], "test", split_by="character", rotations=True)
    assert test.n_classes == Omniglot(roots["small1"], "test", split_by="character").n_classes
    assert not any("@rot" in n for n in test.class_names)


def test_unpacked_folder_with_uneven_characters_is_truncated(tmp_path):
    for char, count in (("character01", 3), ("character02", 2)):
        folder = tmp_path / "images_background" / "Runic" / char
        folder.mkdir(parents=True)
        for i in range(count):
            pixels = np.ones((105, 105), bool)
            pixels[20 + 10 * i: 60, 45:60] = False               # a black stroke on white, like Omniglot
            Image.fromarray(pixels).save(folder / f"0001_{i + 1:02d}.png")
    with pytest.warns(UserWarning, match="truncated to 2"):
        d = Omniglot(tmp_path, "train", split_by="character", fractions=(1.0, 0.0, 0.0))
    assert d.images.shape == (2, 2, 1, 28, 28)
    assert d.class_names == ["Runic/character01", "Runic/character02"]
    assert int(d.images[0, 0, 0, 10, 13]) == 255 and int(d.images[0, 0, 0, 2, 2]) == 0


def test_missing_root(tmp_path):
    with pytest.raises(ValueError, match="root must be an existing folder"):
        Omniglot(tmp_path / "nowhere")


def test_folder_without_omniglot_layout(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match="root .* has no Omniglot layout: expected one of images_background.zip"):
        Omniglot(tmp_path)


def test_corrupt_zip(tmp_path):
    (tmp_path / "images_background.zip").write_bytes(b"this is not a zip file" * 10)
    with pytest.raises(ValueError, match="root .* corrupt zip file images_background.zip"):
        Omniglot(tmp_path)


def test_zip_entry_escaping_its_folder(tmp_path):
    with zipfile.ZipFile(tmp_path / "images_background.zip", "w") as z:
        z.writestr("images_background/Greek/character01/0001_01.png", b"")
        z.writestr("../evil.png", b"not read")
    with pytest.raises(ValueError, match=r"root .* entry that escapes its folder: '\.\./evil\.png'"):
        Omniglot(tmp_path)


def test_unknown_split(roots):
    with pytest.raises(ValueError, match="split must be one of 'train', 'val', 'test', got 'dev'"):
        Omniglot(roots["small1"], "dev")


def test_bad_fractions(roots):
    with pytest.raises(ValueError, match=r"fractions must be 3 numbers >= 0 \(train, val, test\) summing to 1"):
        Omniglot(roots["small1"], split_by="character", fractions=(0.9, 0.2, 0.1))


def test_nearest_matches_the_maml_resize_of_one_bit_pngs(roots, omniglot_zips):
    """cbfinn/maml resized the 1-bit PNGs with LANCZOS, which Pillow turns into NEAREST for mode "1"."""
    d = Omniglot(roots["small1"], "val", split_by="character", resample="nearest")
    alphabet, character = d.class_names[0].split("/")
    with zipfile.ZipFile(omniglot_zips[0]) as z:
        members = sorted(n for n in z.namelist() if f"/{alphabet}/{character}/" in n and n.endswith(".png"))
        with Image.open(io.BytesIO(z.read(members[0]))) as image:
            assert image.mode == "1"
            reference = np.asarray(image.resize((28, 28), Image.Resampling.LANCZOS), dtype=np.uint8)  # 0/1, ink = 0
    assert np.array_equal(d.images[0, 0, 0].numpy(), (1 - reference) * 255)


def test_unreadable_png_inside_a_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / "images_background.zip", "w") as z:
        z.writestr("images_background/Greek/character01/0001_01.png", b"not a png")
    with pytest.raises(ValueError, match="unreadable Omniglot image images_background.zip:images_background/Greek"):
        Omniglot(tmp_path, split_by="character", fractions=(1.0, 0.0, 0.0))


# --- the shipped subsets and the split by alphabet ---------------------------------------------------------------

def test_shipped_subsets_need_no_folder_and_match_their_checksums():
    import hashlib

    from mlkit.tasks.omniglot import SHIPPED, shipped_root

    assert shipped_root() == SHIPPED
    for line in (SHIPPED / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((SHIPPED / name).read_bytes()).hexdigest() == digest
    assert (SHIPPED / "LICENSE").read_text().startswith("The MIT License")
    assert sum(Omniglot(split=s).n_classes for s in SPLITS) == 242


def test_shipped_zips_are_the_published_ones(shared_data, omniglot_zips):
    for shipped in omniglot_zips:
        assert shipped.read_bytes() == (shared_data / "omniglot" / shipped.name).read_bytes()


def test_a_corrupt_shipped_file_is_named(tmp_path, monkeypatch):
    from mlkit.tasks import omniglot

    (tmp_path / "images_background_small1.zip").write_bytes(b"truncated")
    (tmp_path / "SHA256SUMS").write_text("0" * 64 + "  images_background_small1.zip\n")
    monkeypatch.setattr(omniglot, "SHIPPED", tmp_path)
    omniglot.shipped_root.cache_clear()
    try:
        with pytest.raises(ValueError, match="shipped Omniglot file .*images_background_small1.zip is missing or corrupt"):
            omniglot.shipped_root()
    finally:
        omniglot.shipped_root.cache_clear()


def test_alphabet_split_holds_out_whole_alphabets_as_documented():
    splits = {s: Omniglot(split=s) for s in SPLITS}
    alphabets = {s: sorted(set(d.alphabets)) for s, d in splits.items()}
    assert alphabets == {
        "train": ["Greek", "Japanese_(katakana)", "Korean", "Sanskrit", "Tagalog"],
        "val": ["Early_Aramaic"],
        "test": ["Balinese", "Latin"],
    }
    assert [splits[s].n_classes for s in SPLITS] == [170, 22, 50]
    names = [set(d.class_names) for d in splits.values()]
    assert len(set.union(*names)) == 242  # disjoint, and every character is somewhere
    for split in ("val", "test"):  # 20-way episodes within one alphabet exist in both
        assert min(splits[split].alphabets.count(a) for a in alphabets[split]) >= 20


def test_split_alphabets_takes_test_then_validation_from_the_large_enough_alphabets():
    from mlkit.tasks.omniglot import split_alphabets

    counts = {"A": 30, "B": 5, "C": 25, "D": 40, "E": 21, "F": 10, "G": 22, "H": 60}
    for seed in range(5):
        split = split_alphabets(counts, seed)
        assert len(split["test"]) == 2 and len(split["val"]) == 1
        assert all(counts[a] >= 20 for a in split["test"] + split["val"])
        assert sorted(split["train"] + split["val"] + split["test"]) == sorted(counts)
    assert split_alphabets(counts, 3) == split_alphabets(counts, 3)
    assert len({tuple(split_alphabets(counts, s)["test"]) for s in range(10)}) > 1  # the seed matters
    with pytest.raises(ValueError, match=r"n_test \+ n_val must leave a training alphabet and be <= 1 .*got 1 \+ 1"):
        split_alphabets({"A": 30, "B": 5, "C": 5, "D": 5}, 0)


def test_alphabets_picks_whole_alphabets_and_names_unknown_ones():
    latin = Omniglot(alphabets=["Latin"])
    assert latin.n_classes == 26 and set(latin.alphabets) == {"Latin"}
    with pytest.raises(ValueError, match="alphabets must be names from Balinese, .*; unknown: Klingon"):
        Omniglot(alphabets=["Latin", "Klingon"])
    with pytest.raises(ValueError, match="alphabets must be a non-empty list of alphabet names, got 'Latin'"):
        Omniglot(alphabets="Latin")


def test_unknown_split_by():
    with pytest.raises(ValueError, match="split_by must be one of 'alphabet', 'character', got 'drawer'"):
        Omniglot(split_by="drawer")


def test_unpacked_folder_linking_out_of_its_root_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    Image.fromarray(np.ones((105, 105), bool)).save(outside / "0001_01.png")
    folder = tmp_path / "root" / "images_background" / "Runic" / "character01"
    folder.mkdir(parents=True)
    (folder / "0001_01.png").symlink_to(outside / "0001_01.png")
    with pytest.raises(ValueError, match="links to a file outside the root folder"):
        Omniglot(tmp_path / "root", split_by="character", fractions=(1.0, 0.0, 0.0))
