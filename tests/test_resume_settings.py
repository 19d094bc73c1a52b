"""Resume refuses what it cannot honour: changed settings are listed and refused (or, when allowed, take effect),
one writer per checkpoint (a lock file), and what killed runs leave behind is cleaned up."""
import os
import socket
import subprocess
import sys
import time

import pytest
import torch

from mlkit.checkpoint import read_checkpoint
from mlkit.cli import main
from mlkit.recipes import build
from mlkit.run_settings import apply_hyperparameters, hyperparameters
from mlkit.tasks import SineTasks
from mlkit.train import train


def _maml(ckpt, steps=4, seed=0, allow=False, method="maml", **options):
    sampler = SineTasks(k_shot=5, meta_batch=2, seed=0)
    meta = build(method, sampler, seed=0, **options)
    train(meta, sampler, steps, checkpoint=ckpt, seed=seed, progress=False, device="cpu",
          allow_changed_settings=allow)
    return meta


def test_resuming_with_other_settings_is_refused_with_every_difference(tmp_path):
    _maml(tmp_path / "m.pt")
    with pytest.raises(ValueError) as error:
        _maml(tmp_path / "m.pt", steps=6, meta_lr=0.1, alpha=0.5, first_order=True)
    assert str(error.value) == (
        f"{tmp_path / 'm.pt'} was written with other settings than this run's: model.alpha 0.01 -> 0.5; "
        "model.first_order False -> True; model.meta_lr 0.001 -> 0.1; train.steps 4 -> 6. Resume with the same "
        "settings, train into another checkpoint, or allow the change (allow_changed_settings=True, or "
        "--allow-changed-settings on the command line)")
    assert read_checkpoint(tmp_path / "m.pt")["config"]["meta_lr"] == 0.001  # untouched


def test_allowed_changes_take_effect(tmp_path):
    _maml(tmp_path / "m.pt")
    meta = _maml(tmp_path / "m.pt", steps=6, allow=True, meta_lr=0.1, alpha=0.5)
    payload = read_checkpoint(tmp_path / "m.pt")
    assert payload["step"] == 6 and payload["settings"]["train"]["steps"] == 6
    assert payload["config"]["meta_lr"] == 0.1 and payload["config"]["alpha"] == 0.5 and meta.alpha == 0.5
    assert payload["optimizer"]["param_groups"][0]["lr"] == 0.1  # Adam runs at the new rate, not the checkpoint's


def test_changes_that_cannot_take_effect_are_refused_even_when_allowed(tmp_path):
    _maml(tmp_path / "s.pt", method="metasgd")
    with pytest.raises(ValueError, match=r"cannot take effect when resuming: model.alpha \(it only sets the initial "
                                         r"value of learned parameters, which the checkpoint holds\)"):
        _maml(tmp_path / "s.pt", allow=True, method="metasgd", alpha=0.5)
    with pytest.raises(ValueError, match=r"cannot take effect when resuming: train.seed \(the random streams"):
        _maml(tmp_path / "s.pt", seed=1, allow=True, method="metasgd")


def test_a_changed_total_recomputes_reptiles_annealed_step():
    meta = build("reptile", SineTasks(seed=0), seed=0)
    optimizer, schedule = meta.configure_optimizer(4)
    for _ in range(2):
        optimizer.step()
        schedule.step()
    saved = optimizer.state_dict(), schedule.state_dict()
    optimizer, schedule = meta.configure_optimizer(8)  # the resumed run: 8 steps in all
    fresh = hyperparameters(optimizer)
    optimizer.load_state_dict(saved[0])
    schedule.load_state_dict(saved[1])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5)  # the old schedule: 1 - 2/4
    apply_hyperparameters(optimizer, schedule, fresh)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.75)  # the new one: 1 - 2/8


def test_a_second_writer_is_refused_naming_the_lock_and_its_pid(tmp_path, capsys):
    ckpt = tmp_path / "shared.pt"
    first = subprocess.Popen([sys.executable, "-m", "mlkit", "train", "--steps", "1000000", "--val-every", "1000000",
                              "--checkpoint", str(ckpt)], env={**os.environ, "OMP_NUM_THREADS": "1"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "shared.pt.lock").exists():
            assert first.poll() is None and time.monotonic() < deadline, "the first writer did not start"
            time.sleep(0.05)
        assert main(["train", "--steps", "5", "--checkpoint", str(ckpt)]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: checkpoint {ckpt} is being written by another run: process {first.pid} holds {ckpt}.lock "
            f"(wait for that run to end; delete the lock file only if no run writes there)")
    finally:
        first.kill()
        first.wait()


def test_a_stale_lock_and_temporaries_of_a_killed_run_are_cleaned(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "m.pt.lock").write_text(f"{dead.pid}@{socket.gethostname()}\n")
    for name in (".m.pt.x1y2.tmp", ".m.best.pt.z3.tmp"):
        (tmp_path / name).write_bytes(b"half a checkpoint")
    (tmp_path / ".other.pt.q.tmp").write_bytes(b"another run's")
    with pytest.warns(UserWarning, match=f"taking over the stale lock .*m.pt.lock of process {dead.pid}"):
        _maml(tmp_path / "m.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.pt.q.tmp", "m.pt"]


def test_rerunning_a_finished_run_says_so(tmp_path, capsys):
    argv = ["train", "--steps", "3", "--val-every", "3", "--val-tasks", "5", "--checkpoint", str(tmp_path / "m.pt")]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"nothing to train: {tmp_path / 'm.pt'} already holds the finished run "
                                              f"of 3 steps (resumed a finished run")
    assert main([*argv[:2], "5", *argv[3:], "--allow-changed-settings"]) == 0
    assert "trained finetune for 5 steps (resumed from step 3)" in capsys.readouterr().out
    assert torch.load(tmp_path / "m.pt", weights_only=True)["step"] == 5
