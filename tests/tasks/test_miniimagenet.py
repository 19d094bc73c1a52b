"""miniImageNet loader on tiny fixtures written in the test, in both layouts (pickles and Ravi's csv)."""
from __future__ import annotations

import csv
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mlkit.tasks.miniimagenet import MiniImageNet

CLASSES = {"train": ["n01", "n02", "n03"], "val": ["n04", "n05", "n06"], "test": ["n07", "n08", "n09"]}


def _pixels(split: str) -> np.ndarray:
    """Distinct images per split: uint8 [3 classes, 4 images, 84, 84, 3]."""
    rng = np.random.default_rng(len(split))
    return rng.integers(0, 256, (3, 4, 84, 84, 3), dtype=np.uint8)


@pytest.fixture
def pickles(tmp_path: Path) -> Path:
    for split, names in CLASSES.items():
        data = _pixels(split)
        # rows interleaved across classes, so the class_dict indices matter
        order = [(c, i) for i in range(4) for c in range(3)]
        image_data = np.stack([data[c, i] for c, i in order])                          # [12, 84, 84, 3]
        class_dict = {names[c]: [r for r, (cc, _) in enumerate(order) if cc == c] for c in range(3)}
        with open(tmp_path / f"mini-imagenet-cache-{split}.pkl", "wb") as f:
            pickle.dump({"image_data": image_data, "class_dict": class_dict}, f)
    return tmp_path


@pytest.fixture
def csvs(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    for split, names in CLASSES.items():
        data = _pixels(split)
        with open(tmp_path / f"{split}.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["filename", "label"])
            for c, name in enumerate(names):
                for i in range(4):
                    Image.fromarray(data[c, i]).save(tmp_path / "images" / f"{name}_{i}.png")
                    writer.writerow([f"{name}_{i}.png", name])
    return tmp_path


@pytest.mark.parametrize("layout", ["pickles", "csvs"])
def test_both_layouts_give_channels_first_classes(layout, request):
    root = request.getfixturevalue(layout)
    for split, names in CLASSES.items():
        d = MiniImageNet(root, split)
        assert d.images.shape == (3, 4, 3, 84, 84) and d.images.dtype == torch.uint8
        assert d.class_names == names
        expected = torch.from_numpy(_pixels(split)).permute(0, 1, 4, 2, 3)          # [3, 4, 3, 84, 84]
        assert torch.equal(d.images, expected)


@pytest.mark.parametrize("layout", ["pickles", "csvs"])
def test_image_size_resizes(layout, request):
    d = MiniImageNet(request.getfixturevalue(layout), "val", image_size=28)
    assert d.images.shape == (3, 4, 3, 28, 28)
    mean_in = _pixels("val").astype(float).mean()
    assert abs(d.images.float().mean().item() - mean_in) < 3                        # resizing keeps brightness


def test_classes_are_truncated_to_the_smallest(pickles):
    with open(pickles / "mini-imagenet-cache-test.pkl", "rb") as f:
        data = pickle.load(f)
    data["class_dict"]["n08"] = data["class_dict"]["n08"][:2]
    with open(pickles / "mini-imagenet-cache-test.pkl", "wb") as f:
        pickle.dump(data, f)
    assert MiniImageNet(pickles, "test").images.shape == (3, 2, 3, 84, 84)


def test_missing_root(tmp_path):
    with pytest.raises(ValueError, match="root must be an existing folder"):
        MiniImageNet(tmp_path / "nowhere")


def test_folder_without_layout(tmp_path):
    expected = "no miniImageNet layout for split 'train': expected mini-imagenet-cache-train.pkl or train.csv"
    with pytest.raises(ValueError, match=expected):
        MiniImageNet(tmp_path)


def test_unknown_split(pickles):
    with pytest.raises(ValueError, match="split must be one of 'train', 'val', 'test', got 'holdout'"):
        MiniImageNet(pickles, "holdout")


def test_csv_naming_a_missing_image(csvs):
    os.remove(csvs / "images" / "n05_2.png")
    with pytest.raises(ValueError, match="lists images/n05_2.png, which is missing"):
        MiniImageNet(csvs, "val")


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickle_that_would_run_code_is_refused(tmp_path):
    with open(tmp_path / "mini-imagenet-cache-train.pkl", "wb") as f:
        pickle.dump({"image_data": _Exploit(), "class_dict": {}}, f)
    with pytest.raises(ValueError, match="not a miniImageNet cache pickle .*refusing to load"):
        MiniImageNet(tmp_path)
