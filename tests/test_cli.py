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


def _parsed(*argv):
    from mlkit.cli import parser

    return parser().parse_args(["train", *argv])


def test_omniglot_training_options_reach_the_samplers():
    from mlkit.cli import _sampler, validation_n_way
    from mlkit.tasks.augment import AffineDistortion

    args = _parsed("--tasks", "omniglot", "--n-way", "30", "--k-shot", "1", "--q-query", "5", "--rotations",
                   "--augment", "affine", "--within-alphabet")
    train = _sampler(args, "train", 4, 0)
    assert train.dataset.n_classes == 4 * 170 and train.within_alphabet and train.n_way == 30
    assert isinstance(train.augment, AffineDistortion)
    assert validation_n_way(args) == 22  # the validation alphabet (Early_Aramaic) has 22 characters
    val = _sampler(args, "val", 25, 1, n_way=22)
    assert val.augment is None and val.dataset.n_classes == 22 and "@rot" not in "".join(val.dataset.class_names)
    character = _parsed("--tasks", "omniglot", "--split-by", "character", "--n-way", "20", "--k-shot", "1")
    assert validation_n_way(character) == 15 and _sampler(character, "train", 4, 0).dataset.n_classes == 164


def test_validation_n_way_out_of_range_is_named(capsys, tmp_path):
    code = main(["train", "--tasks", "omniglot", "--val-n-way", "30", "--checkpoint", str(tmp_path / "m.pt")])
    assert code == 2
    assert capsys.readouterr().err.strip() == "error: --val-n-way must be in 2..22 (the classes of the validation split), got 30"


def test_options_lists_every_method_argument_with_its_default(capsys):
    assert main(["options", "maml"]) == 0
    out = capsys.readouterr().out
    for line in ("steps [1]: inner gradient steps", "alpha [0.01]: inner step size", "first_order [False]",
                 "meta_lr [0.001]"):
        assert line in out
    assert "learner" not in out and "task_type" not in out


def test_misspelled_or_repeated_options_are_one_clear_line(tmp_path, capsys):
    ckpt = str(tmp_path / "m.pt")
    assert main(["train", "--method", "maml", "--steps", "2", "--checkpoint", ckpt, "--option", "alpah=0.1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: option 'alpah' is not an option of maml; its options are meta_lr, steps, alpha, first_order "
        "(python -m mlkit options maml)")
    assert main(["train", "--steps", "2", "--checkpoint", ckpt, "--option", "steps=1", "--option", "steps=2"]) == 2
    assert "--option steps is given twice" in capsys.readouterr().err
    assert main(["train", "--steps", "2", "--checkpoint", ckpt, "--option", "meta_lr=0.1"]) == 2
    assert "meta_lr is set by --meta-lr" in capsys.readouterr().err


def test_every_option_of_every_command_has_help():
    from mlkit.cli import parser

    top = parser()
    for name, command in top._subparsers._group_actions[0].choices.items():
        for action in command._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.option_strings or action.dest} has no help text"
