"""Checkpoints: atomic writes, safe loading, a clear refusal of corrupt files and of other models."""
import os

import pytest
import torch

from mlkit.checkpoint import load_into, load_meta_learner, read_checkpoint, save_checkpoint
from mlkit.learners import MLP
from mlkit.meta import FineTune


def test_round_trip_rebuilds_the_same_model(tmp_path):
    torch.manual_seed(0)
    meta = FineTune(MLP((1, 5, 1)), steps=3, lr=0.05)
    save_checkpoint(tmp_path / "m.pt", meta, step=7)
    again = load_meta_learner(tmp_path / "m.pt")
    assert again.config() == meta.config() and again.steps == 3
    assert all(torch.equal(a, b) for a, b in zip(meta.state_dict().values(), again.state_dict().values()))
    assert read_checkpoint(tmp_path / "m.pt")["step"] == 7


def test_failed_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    meta = FineTune(MLP((1, 5, 1)))
    save_checkpoint(tmp_path / "m.pt", meta, step=1)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(tmp_path / "m.pt", meta, step=2)
    monkeypatch.undo()
    assert read_checkpoint(tmp_path / "m.pt")["step"] == 1
    assert os.listdir(tmp_path) == ["m.pt"]  # no temporary file left behind


def test_checkpoint_from_another_model(tmp_path):
    save_checkpoint(tmp_path / "small.pt", FineTune(MLP((1, 5, 1))))
    with pytest.raises(ValueError, match=r"holds a 'finetune' model with learner .*'sizes': \[1, 5, 1\]"):
        load_into(tmp_path / "small.pt", FineTune(MLP((1, 40, 40, 1))))


def test_corrupt_and_foreign_files(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pt could not be read"):
        read_checkpoint(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="is not an mlkit checkpoint"):
        read_checkpoint(tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="checkpoint path does not exist"):
        read_checkpoint(tmp_path / "missing.pt")


def test_checkpoint_has_ordinary_file_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        save_checkpoint(tmp_path / "m.pt", FineTune(MLP((1, 5, 1))))
    finally:
        os.umask(umask)
    assert (tmp_path / "m.pt").stat().st_mode & 0o777 == 0o644
