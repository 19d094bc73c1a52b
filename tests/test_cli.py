"""The command line: train -> eval round trip, help, and bad input as one clear line."""
import json
import subprocess
import sys

from mlkit.cli import main


def test_train_then_eval(tmp_path, capsys):
    ckpt = str(tmp_path / "m.pt")
    assert main(["train", "--steps", "30", "--meta-batch", "5", "--val-every", "15", "--checkpoint", ckpt,
                 "--option", "steps=2"]) == 0
    assert "trained finetune for 30 steps" in capsys.readouterr().out
    assert main(["eval", ckpt, "--n-tasks", "40", "--json", "--option", "steps=0"]) == 0
    score = json.loads(capsys.readouterr().out)
    assert score["n"] == 40 and score["metric"] == "mse" and score["ci95"] > 0


def test_bad_step_size_is_one_clear_line(tmp_path, capsys):
    code = main(["train", "--steps", "2", "--checkpoint", str(tmp_path / "m.pt"), "--option", "lr=nan"])
    assert code == 2
    assert capsys.readouterr().err.strip() == "error: lr must be a finite number > 0, got nan"


def test_missing_data_root(capsys):
    assert main(["eval", "nothing.pt", "--tasks", "omniglot"]) == 2
    assert "checkpoint path does not exist" in capsys.readouterr().err


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "mlkit", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("train", "eval", "bench", "reproduce"):
        assert command in out


def test_reproduce_refuses_an_option_the_experiment_does_not_take(capsys):
    assert main(["reproduce", "leo", "--jobs", "2", "--out-dir", "unused"]) == 2
    error = capsys.readouterr().err
    assert "experiment 'leo' takes no jobs option" in error and "options it takes: none" in error
    assert main(["reproduce", "sine-table", "--device", "cuda", "--out-dir", "unused"]) == 2
    assert "options it takes: jobs" in capsys.readouterr().err
