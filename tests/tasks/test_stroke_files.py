"""Omniglot's stroke text format: parsed and written back exactly, zips and folders of it read alike, alphabets saved
and loaded, and every bad input refused with a message naming the file."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from mlkit.tasks import Strokes, load_alphabet, save_alphabet
from mlkit.tasks.stroke_files import format_drawing, parse_drawing, read_drawing, read_stroke_source

TEXT = "START\n10.5,-20.25,0\n11.5,-21.25,16\nBREAK\n40,-40,900\nBREAK\n"


def _drawing(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.column_stack([rng.uniform(5, 100, n).round(6), -rng.uniform(5, 100, n).round(6),
                             np.arange(n) * 17.0]) for n in (1, 4, 9)]


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def test_a_stroke_file_parses_into_strokes_of_x_y_t():
    strokes = parse_drawing(TEXT, "a.txt")
    assert len(strokes) == 2 and strokes[0].shape == (2, 3) and strokes[1].shape == (1, 3)
    assert strokes[0].dtype == np.float64
    assert strokes[0].tolist() == [[10.5, -20.25, 0.0], [11.5, -21.25, 16.0]]
    assert strokes[1].tolist() == [[40.0, -40.0, 900.0]]


def test_windows_line_ends_blank_lines_and_a_last_stroke_without_break_are_read():
    text = "\r\nSTART\r\n1,-2,0\r\n\r\n3,-4,5\r\n"
    assert [s.tolist() for s in parse_drawing(text, "x")] == [[[1.0, -2.0, 0.0], [3.0, -4.0, 5.0]]]


def test_format_and_parse_are_inverse_to_a_millionth_of_a_pixel():
    drawing = _drawing(0)
    back = parse_drawing(format_drawing(drawing), "again")
    assert [s.shape for s in back] == [s.shape for s in drawing]
    assert all(np.abs(a - b).max() < 1e-6 for a, b in zip(back, drawing))
    assert format_drawing(back) == format_drawing(drawing)


@pytest.mark.parametrize("text, message", [
    ("1,2,3\nBREAK\n", r"stroke file f.txt must begin with a line START .* found '1,2,3'"),
    ("", r"stroke file f.txt must begin with a line START .* found nothing"),
    ("START\n1,-2,0\nBREAK\nBREAK\n", r"stroke file f.txt, line 4: stroke 2 is empty"),
    ("START\nnan,-2,0\nBREAK\n", r"stroke file f.txt, line 2: x, y and t must be finite numbers, got 'nan,-2,0'"),
    ("START\n1,inf,0\nBREAK\n", r"line 2: x, y and t must be finite"),
    ("START\n1,-2\nBREAK\n", r"stroke file f.txt, line 2: expected 'x,y,t' \(three numbers\) or BREAK, got '1,-2'"),
    ("START\nhello\n", r"line 2: expected 'x,y,t'"),
    ("START\n", r"stroke file f.txt holds no stroke .* an empty drawing"),
])
def test_bad_stroke_files_are_refused_with_the_file_and_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_drawing(text, "f.txt")


def test_a_binary_file_is_named_as_not_a_stroke_file(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(ValueError, match=rf"{path} is not an Omniglot stroke file \(not UTF-8 text"):
        read_drawing(path)
    with pytest.raises(ValueError, match="stroke file not found"):
        read_drawing(tmp_path / "missing.txt")


def test_official_and_flat_layouts_read_alike_from_zips_and_folders(tmp_path):
    text = format_drawing(_drawing(1))
    official = _zip(tmp_path / "official.zip", {
        "strokes_x/": "", "strokes_x/.DS_Store": "junk", "__MACOSX/strokes_x/._a.txt": "junk",
        "strokes_x/Abc/character01/0001_01.txt": text, "strokes_x/Abc/character01/0001_02.txt": TEXT,
        "strokes_x/Abc/character02/0002_01.txt": TEXT})
    flat = _zip(tmp_path / "flat.zip", {"Abc/character01/0001_01.txt": text, "Abc/character01/0001_02.txt": TEXT,
                                        "Abc/character02/0002_01.txt": TEXT})
    folder = tmp_path / "unpacked"
    for member in ("Abc/character01/0001_01.txt", "Abc/character01/0001_02.txt", "Abc/character02/0002_01.txt"):
        (folder / member).parent.mkdir(parents=True, exist_ok=True)
        (folder / member).write_text(text if member.endswith("0001_01.txt") else TEXT)
    read = [read_stroke_source(p) for p in (official, flat, folder)]
    for other in read[1:]:
        assert other.keys() == read[0].keys() == {"Abc/character01", "Abc/character02"}
        for key in other:
            assert list(other[key]) == list(read[0][key])
            assert all(np.array_equal(a, b) for d, e in zip(other[key].values(), read[0][key].values())
                       for a, b in zip(d, e))
    assert list(read[0]["Abc/character01"]) == ["0001_01", "0001_02"]


def test_official_archives_in_a_folder_keep_the_first_copy_of_a_shared_character(tmp_path):
    _zip(tmp_path / "strokes_background_small1.zip", {"strokes_background_small1/Greek/character01/0394_01.txt": TEXT})
    _zip(tmp_path / "strokes_background_small2.zip", {
        "strokes_background_small2/Greek/character01/0394_01.txt": "START\n1,-1,0\nBREAK\n",
        "strokes_background_small2/Tagalog/character01/0900_01.txt": TEXT})
    found = Strokes(tmp_path)
    assert found.class_names == ["Greek/character01", "Tagalog/character01"] and found.alphabets == ["Greek", "Tagalog"]
    assert found.drawing("Greek/character01", "0394_01")[0].tolist() == [[10.5, -20.25, 0.0], [11.5, -21.25, 16.0]]


@pytest.mark.parametrize("members, message", [
    ({"a/b/c/d/e.txt": TEXT}, r"is not in Omniglot's stroke layout .* found 'a/b/c/d/e.txt'"),
    ({"e.txt": TEXT}, r"is not in Omniglot's stroke layout"),
    ({"top/Abc/character01/1_1.txt": TEXT, "Abc/character02/2_1.txt": TEXT}, r"mixes stroke files with and without"),
    ({"Abc/character01/0001_01.png": "png"}, r"holds no Omniglot stroke files: expected text files in the layout"),
    ({"../evil/Abc/c1/1_1.txt": TEXT}, r"has an entry that escapes its folder"),
])
def test_zips_of_the_wrong_layout_are_refused_naming_the_zip(tmp_path, members, message):
    path = _zip(tmp_path / "wrong.zip", members)
    with pytest.raises(ValueError, match=rf"zip file {path} " + message):
        read_stroke_source(path)


def test_files_of_another_format_and_missing_paths_are_named(tmp_path):
    png = tmp_path / "drawing.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nnot a zip")
    with pytest.raises(ValueError, match=rf"{png} is not a readable zip file of Omniglot strokes"):
        Strokes(png)
    single = tmp_path / "0001_01.txt"
    single.write_text(TEXT)
    with pytest.raises(ValueError, match=rf"{single} is one stroke file \(one drawing\): read it with read_drawing"):
        Strokes(single)
    with pytest.raises(ValueError, match="root must be a folder or file of Omniglot strokes, got .*not found"):
        Strokes(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=rf"folder {empty} holds no Omniglot stroke files"):
        Strokes(empty)


def test_a_bad_file_inside_a_zip_is_named_with_its_member(tmp_path):
    path = _zip(tmp_path / "bad.zip", {"Abc/character01/0001_01.txt": TEXT, "Abc/character01/0001_02.txt": "x"})
    with pytest.raises(ValueError, match=r"stroke file bad.zip:Abc/character01/0001_02.txt must begin with a line START"):
        read_stroke_source(path)


def test_an_alphabet_saved_and_loaded_comes_back_in_order(tmp_path):
    characters = {"character01": [_drawing(0), _drawing(1)], "character02": [_drawing(2)]}
    path = save_alphabet(tmp_path / "mine.zip", characters, alphabet="Mine")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["Mine/character01/0001_01.txt", "Mine/character01/0001_02.txt",
                                              "Mine/character02/0002_01.txt"]
    back = load_alphabet(path)
    assert list(back) == ["character01", "character02"] and [len(v) for v in back.values()] == [2, 1]
    for name, drawings in characters.items():
        for mine, loaded in zip(drawings, back[name]):
            assert all(np.abs(a - b).max() < 1e-6 for a, b in zip(mine, loaded))
    assert Strokes(path).class_names == ["Mine/character01", "Mine/character02"]  # the same reader as Omniglot's
    assert save_alphabet(tmp_path / "again.zip", characters, alphabet="Mine").read_bytes() == path.read_bytes()


def test_an_alphabet_is_refreshed_when_its_file_changes(tmp_path):
    path = tmp_path / "mine.zip"
    save_alphabet(path, {"character01": [_drawing(0)]})
    assert len(Strokes(path).drawings("My_alphabet/character01")) == 1
    save_alphabet(path, {"character01": [_drawing(0), _drawing(1)]})
    assert len(Strokes(path).drawings("My_alphabet/character01")) == 2


def test_saving_bad_alphabets_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="alphabet must be a folder name"):
        save_alphabet(tmp_path / "a.zip", {"character01": [_drawing(0)]}, alphabet="a/b")
    with pytest.raises(ValueError, match="character names must be folder names such as 'character01', got 'x/y'"):
        save_alphabet(tmp_path / "a.zip", {"x/y": [_drawing(0)]})
    with pytest.raises(ValueError, match="character 'character01' has no drawing"):
        save_alphabet(tmp_path / "a.zip", {"character01": []})
    with pytest.raises(ValueError, match=r"character 'c1', drawing 1\[0\] holds NaN or infinite coordinates"):
        save_alphabet(tmp_path / "a.zip", {"c1": [[np.array([[np.nan, 1.0, 0.0]])]]})
    with pytest.raises(ValueError, match="characters must hold at least one character"):
        save_alphabet(tmp_path / "a.zip", {})
    with pytest.raises(ValueError, match="cannot write the alphabet to"):
        save_alphabet(tmp_path / "no" / "such" / "folder.zip", {"c1": [_drawing(0)]})
    assert not (tmp_path / "a.zip").exists()


def test_loading_one_alphabet_of_several_asks_which(tmp_path):
    path = _zip(tmp_path / "two.zip", {"Abc/character01/1_1.txt": TEXT, "Def/character01/1_1.txt": TEXT})
    with pytest.raises(ValueError, match=r"holds 2 alphabets \(Abc, Def\); choose one with alphabet="):
        load_alphabet(path)
    assert list(load_alphabet(path, alphabet="Def")) == ["character01"]
    with pytest.raises(ValueError, match="alphabet must be one of Abc, Def"):
        load_alphabet(path, alphabet="Ghi")
