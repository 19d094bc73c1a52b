"""Bad input, as a new user gives it, through the command line and the Python API: every case is refused with a
clear message naming the parameter, the allowed range and the value -- never a traceback, a raw framework error or
a silent wrong result. Each row of the two tables is one case and the message it must give."""
import os
import socket
from functools import lru_cache

import pytest
import torch
import torch.nn.functional as F

from mlkit.checkpoint import load_into, load_meta_learner, save_checkpoint
from mlkit.checks import Diverged, check_bool, check_device, check_finite
from mlkit.cli import main
from mlkit.evaluate import evaluate
from mlkit.learners import MLP, ConvNet
from mlkit.meta import METHODS
from mlkit.recipes import build
from mlkit.resources import check_training_memory
from mlkit.tasks import EpisodeSampler, ImageDataset, SineTasks
from mlkit.tasks.features import FeatureDataset
from mlkit.tasks.miniimagenet import check_image_memory
from mlkit.train import train

# ---------------------------------------------------------------------------------------------------------------
# The command line: (arguments, exit code, what the one error line says). {ckpt} is a trained 2-step sine MAML
# checkpoint; {tmp} a folder; the other names are broken copies of it (see ``files``).
CLI = [
    (["train", "--method", "maml", "--option", "alpah=0.1"], 2,
     "option 'alpah' is not an option of maml; its options are meta_lr, steps, alpha, first_order"),
    (["train", "--option", "steps=1", "--option", "steps=2"], 2, "--option steps is given twice"),
    (["train", "--option", "meta_lr=0.1"], 2, "meta_lr is set by --meta-lr; do not also give --option meta_lr=..."),
    (["train", "--option", "steps"], 2, "--option must look like KEY=VALUE, got 'steps'"),
    (["train", "--option", "lr=nan"], 2, "lr must be a finite number > 0, got nan"),
    (["train", "--option", "lr=-1"], 2, "lr must be a finite number > 0, got -1"),
    (["train", "--option", "decay=2"], 2, "decay must be a finite number in [1e-06, 1.0], got 2"),
    (["train", "--option", "steps=abc"], 2, "steps must be an integer >= 0, got 'abc'"),
    (["train", "--option", "steps=2.5"], 2, "steps must be an integer >= 0, got 2.5"),
    (["train", "--method", "maml", "--option", "alpha=0"], 2, "alpha must be a finite number > 0, got 0"),
    (["train", "--method", "maml", "--option", "alpha=inf"], 2, "alpha must be a finite number > 0, got inf"),
    (["train", "--method", "maml", "--option", "first_order=false"], 2,
     "first_order must be True or False, got 'false'"),
    (["train", "--method", "reptile", "--option", "inner_optimizer=rmsprop"], 2,
     "inner_optimizer must be one of 'adam', 'sgd', got 'rmsprop'"),
    (["train", "--method", "mtnet", "--option", "mask_mode=soft"], 2,
     "mask_mode must be one of 'sample', 'expected', 'hard', got 'soft'"),
    (["train", "--method", "leo"], 2, "task_type must be one of 'classification', got 'regression'"),
    (["train", "--method", "protonet"], 2, "task_type must be one of 'classification', got 'regression'"),
    (["train", "--device", "bogus"], 2, "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'bogus'"),
    (["train", "--device", "cuda"], 2, "device 'cuda' needs a CUDA GPU, and this machine has none (use 'cpu' or 'auto')"),
    (["train", "--device", "tpu"], 2, "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
    (["train", "--checkpoint", "{tmp}/afile/m.pt"], 2, "checkpoint folder {tmp}/afile cannot be created"),
    (["train", "--checkpoint", "{tmp}"], 2, "checkpoint must be a file path (e.g. {tmp}/model.pt), got the folder {tmp}"),
    (["train", "--meta-batch", "10000000000"], 2,
     "meta_batch = 10000000000 tasks of 20 examples of shape 1 need about 1.5 TB of memory, more than the"),
    (["train", "--method", "lstm-meta", "--tasks", "glyphs", "--k-shot", "1", "--meta-batch", "3000"], 2,
     "one training step of lstm-meta (meta_batch = 3000 tasks of 80 examples) needs about"),
    (["train", "--meta-batch", "0"], 2, "meta_batch must be an integer >= 1, got 0"),
    (["train", "--val-tasks", "0"], 2, "val_tasks must be an integer >= 1, got 0"),
    (["train", "--steps", "0"], 2, "steps must be an integer >= 1, got 0"),
    (["train", "--val-every", "0"], 2, "val_every must be an integer >= 1, got 0"),
    (["train", "--k-shot", "0"], 2, "k_shot must be an integer >= 1, got 0"),
    (["train", "--q-query", "0"], 2, "q_query must be an integer >= 1, got 0"),
    (["train", "--seed", "-1"], 2, "seed must be an integer >= 0, got -1"),
    (["train", "--tasks", "polynomial", "--order", "-1"], 2, "order must be an integer >= 0, got -1"),
    (["train", "--meta-lr", "nan"], 2, "meta_lr must be a finite number > 0, got nan"),
    (["train", "--meta-lr", "0"], 2, "meta_lr must be a finite number > 0, got 0.0"),
    (["train", "--within-alphabet"], 2, "--within-alphabet applies to image tasks (glyphs, omniglot, miniimagenet"),
    (["train", "--augment", "affine"], 2, "--augment applies to image tasks (glyphs, omniglot, miniimagenet"),
    (["train", "--tasks", "miniimagenet"], 2, "data_root must be given for miniimagenet"),
    (["train", "--tasks", "omniglot", "--val-n-way", "30"], 2,
     "--val-n-way must be in 2..22 (the classes of the validation split), got 30"),
    (["train", "--tasks", "glyphs"], 2, "k_shot + q_query must be <= 20 (the images per class of glyphs train), "
                                        "got 10 + 15 = 25"),
    (["train", "--meta-lr", "1e12", "--checkpoint", "{tmp}/diverged.pt"], 3,
     "training diverged at step 2: the meta-loss, a gradient or the validation predictions were not finite (try a "
     "smaller step size or --meta-lr); no checkpoint was written"),
    (["train", "--method", "maml", "--checkpoint", "{ckpt}", "--steps", "2", "--meta-lr", "0.1", "--option",
      "alpha=0.5"], 2, "was written with other settings than this run's: model.alpha 0.01 -> 0.5; model.meta_lr "
                       "0.001 -> 0.1. Resume with the same settings"),
    (["train", "--method", "maml", "--checkpoint", "{ckpt}", "--steps", "2", "--seed", "1",
      "--allow-changed-settings"], 2, "cannot take effect when resuming: train.seed (the random streams continue "
                                      "from the checkpoint); tasks.seed"),
    (["train", "--method", "maml", "--checkpoint", "{ckpt}", "--steps", "2", "--k-shot", "5"], 2,
     "tasks.k_shot 10 -> 5"),
    (["train", "--method", "finetune", "--checkpoint", "{ckpt}"], 2,
     "holds a 'maml' model with learner {'kind': 'mlp', 'sizes': [1, 40, 40, 1], 'init_std': 0.01, 'transform': "
     "False}, but it is being loaded into a 'finetune' model"),
    (["train", "--method", "maml", "--checkpoint", "{tmp}/m.best.pt"], 2,
     "m.best.pt is not a training checkpoint (it lacks optimizer, history, ranks): it can be evaluated or loaded, "
     "not resumed"),
    (["train", "--checkpoint", "{tmp}/locked.pt"], 2,
     "checkpoint {tmp}/locked.pt is being written by another run: process {pid} holds {tmp}/locked.pt.lock"),
    (["eval", "{tmp}/nothing.pt"], 2, "checkpoint path does not exist: {tmp}/nothing.pt"),
    (["eval", "{tmp}/junk.pt"], 2, "checkpoint {tmp}/junk.pt could not be read (UnpicklingError"),
    (["eval", "{tmp}/plain.pt"], 2, "checkpoint {tmp}/plain.pt is not an mlkit checkpoint (expected format "
                                    "'mlkit-checkpoint/1')"),
    (["eval", "{tmp}/noconfig.pt"], 2, "checkpoint {tmp}/noconfig.pt lacks its config entry"),
    (["eval", "{tmp}/nan.pt"], 2, "checkpoint {tmp}/nan.pt holds non-finite weights (NaN or inf in learner.w0): "
                                  "the run that wrote it diverged; use an earlier checkpoint"),
    (["eval", "{tmp}/missing.pt"], 2, "checkpoint {tmp}/missing.pt does not fit a 'maml' model: missing: learner.w0"),
    (["eval", "{tmp}/shape.pt"], 2, "checkpoint {tmp}/shape.pt does not fit a 'maml' model: other shapes: "
                                    "learner.w0 [3, 3] (model [1, 40])"),
    (["eval", "{tmp}/extra.pt"], 2, "checkpoint {tmp}/extra.pt does not fit a 'maml' model: unexpected: surprise"),
    (["eval", "{tmp}/badconfig.pt"], 2, "checkpoint {tmp}/badconfig.pt has a configuration that builds no model "
                                        "(ValueError: method must be one of"),
    (["eval", "{tmp}/badoption.pt"], 2, "checkpoint {tmp}/badoption.pt has a configuration that builds no model "
                                        "(TypeError:"),
    (["eval", "{ckpt}", "--option", "stepz=3"], 2,
     "option 'stepz' is not an option of maml's adapt; its options are steps, alpha"),
    (["eval", "{ckpt}", "--option", "mask_mode=hard"], 2, "option 'mask_mode' is not an option of maml's adapt"),
    (["eval", "{ckpt}", "--option", "steps=-2"], 2, "steps must be an integer >= 0, got -2"),
    (["eval", "{ckpt}", "--option", "alpha=0"], 2, "alpha must be a finite number > 0, got 0"),
    (["eval", "{ckpt}", "--option", "alpha=1e30", "--n-tasks", "20"], 3,
     "the adaptation diverged: 20 of 20 tasks gave non-finite predictions (maml with alpha=1e+30); try a smaller "
     "step size or fewer steps"),
    (["eval", "{ckpt}", "--n-tasks", "0"], 2, "n_tasks must be an integer >= 1, got 0"),
    (["eval", "{ckpt}", "--tasks", "glyphs", "--k-shot", "1"], 2,
     "the model is a regression model (maml) but the tasks are classification tasks; use tasks of its kind"),
    (["eval", "{ckpt}", "--meta-batch", "4"], "usage", "unrecognized arguments: --meta-batch"),  # not an eval option
    (["train", "--steps", "abc"], "usage", "argument --steps: invalid int value: 'abc'"),
    (["train", "--method", "nope"], "usage", "argument --method: invalid choice: 'nope'"),
    (["options", "nope"], "usage", "argument method: invalid choice: 'nope'"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A trained sine MAML checkpoint and broken copies of it, and a checkpoint locked by this (live) process."""
    tmp = tmp_path_factory.mktemp("bad")
    ckpt = tmp / "m.pt"
    assert main(["train", "--method", "maml", "--steps", "2", "--val-every", "2", "--val-tasks", "5",
                 "--checkpoint", str(ckpt)]) == 0
    good = torch.load(ckpt, weights_only=True)

    def broken(name, change):
        payload = torch.load(ckpt, weights_only=True)
        change(payload)
        torch.save(payload, tmp / name)

    broken("nan.pt", lambda p: p["model"]["learner.w0"].fill_(float("nan")))
    broken("missing.pt", lambda p: p["model"].pop("learner.w0"))
    broken("shape.pt", lambda p: p["model"].__setitem__("learner.w0", torch.zeros(3, 3)))
    broken("extra.pt", lambda p: p["model"].__setitem__("surprise", torch.zeros(1)))
    broken("noconfig.pt", lambda p: p.pop("config"))
    broken("badconfig.pt", lambda p: p["config"].__setitem__("method", "nope"))
    broken("badoption.pt", lambda p: p["config"].__setitem__("stepz", 3))
    (tmp / "junk.pt").write_bytes(b"not a checkpoint")
    torch.save({"weights": torch.zeros(2)}, tmp / "plain.pt")
    (tmp / "afile").write_text("a file, not a folder")
    torch.save(good, tmp / "locked.pt")
    (tmp / "locked.pt.lock").write_text(f"{os.getpid()}@{socket.gethostname()}\n")
    return {"tmp": str(tmp), "ckpt": str(ckpt), "pid": str(os.getpid())}


@pytest.mark.parametrize("argv, code, message", CLI, ids=[" ".join(argv)[:60] for argv, _, _ in CLI])
def test_the_command_line_refuses_bad_input_in_one_line(argv, code, message, files, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same answers on a GPU machine
    argv = [a.format(**files) for a in argv]
    message = message.replace("{tmp}", files["tmp"]).replace("{pid}", files["pid"]).replace("{ckpt}", files["ckpt"])
    if code == "usage":  # argparse's own refusal: the usage line, then the error, exit 2
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2 and message in capsys.readouterr().err
        return
    assert main(argv) == code
    err = capsys.readouterr().err
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert message in lines[0], lines[0]


# ---------------------------------------------------------------------------------------------------------------
# The Python API: (what is called, the message it must raise). Models and tasks are small and built once.

@lru_cache(maxsize=None)
def model(method: str, kind: str = "sine"):
    torch.manual_seed(0)
    if kind == "sine":
        return build(method, SineTasks(seed=0))
    if kind == "features":
        return build(method, features())
    return build(method, images(), **({"steps": 2} if method == "lstm-meta" else {}))


@lru_cache(maxsize=None)
def images(meta_batch: int = 2) -> EpisodeSampler:
    g = torch.Generator().manual_seed(0)
    data = ImageDataset(torch.randint(0, 256, (6, 4, 1, 28, 28), dtype=torch.uint8, generator=g),
                        [f"c{i}" for i in range(6)], "train", "tiny")
    return EpisodeSampler(data, n_way=3, k_shot=1, q_query=2, meta_batch=meta_batch, seed=0)


@lru_cache(maxsize=None)
def features() -> EpisodeSampler:
    g = torch.Generator().manual_seed(0)
    data = FeatureDataset(F.normalize(torch.randn(6, 4, 10, generator=g), dim=-1), [f"c{i}" for i in range(6)],
                          "train", "tiny")
    return EpisodeSampler(data, n_way=3, k_shot=1, q_query=2, meta_batch=2, seed=0)


def sine(t=4, s=10):
    g = torch.Generator().manual_seed(1)
    return torch.rand(t, s, 1, generator=g) * 10 - 5, torch.rand(t, s, 1, generator=g)


def episode(kind="images"):
    batch = (images() if kind == "images" else features()).reseeded().sample()
    return batch.x_support, batch.y_support, batch.x_query


def with_value(x, index, value):
    x = x.clone()
    x.view(-1)[index] = value
    return x


def adapt(method, x, y, kind="sine", **options):
    return lambda: model(method, kind).adapt(x() if callable(x) else x, y() if callable(y) else y, **options)


def predict(method, x_query, kind="sine"):
    def call():
        xs, ys = sine() if kind == "sine" else episode(kind)[:2]
        model(method, kind).adapt(xs, ys).predict(x_query())
    return call


X, Y = sine()
XI, YI, QI = episode()
XF, YF, QF = episode("features")
SHAPE = r"x_support must have shape \[tasks, examples, 1\], got "
IMAGE_SHAPE = r"x_support must have shape \[tasks, examples, 1, 28, 28\], got "

API = [
    # adapt() of the gradient-based methods: one shared check (mlkit/meta/adapt_inputs.py)
    ("maml 2-D inputs", adapt("maml", X[..., 0], Y), SHAPE + r"\(4, 10\)"),
    ("fomaml float64", adapt("fomaml", X.double(), Y), "x_support must be float32 \\(the model's dtype\\), got float64"),
    ("metasgd integer inputs", adapt("metasgd", X.long(), Y), "x_support must be float32 \\(the model's dtype\\), got int64"),
    ("tnet empty support", adapt("tnet", X[:, :0], Y[:, :0]),
     r"x_support must hold at least one task and one example per task, got shape \(4, 0, 1\)"),
    ("mtnet 2-D inputs", adapt("mtnet", X[..., 0], Y), SHAPE + r"\(4, 10\)"),
    ("mnet NaN input", adapt("mnet", with_value(X, 3, float("nan")), Y),
     "x_support must hold finite numbers, got 1 NaN and 0 infinite of 40 values"),
    ("mtnet-full inf target", adapt("mtnet-full", X, with_value(Y, 0, float("inf"))),
     "y_support must hold finite numbers, got 0 NaN and 1 infinite of 40 values"),
    ("mnet-full [T, S] targets with T == S", adapt("mnet-full", *sine(10, 10)[:1], sine(10, 10)[1][..., 0]),
     r"y_support must be float32 targets \[tasks, examples, outputs\] = \(10, 10, 1\), got float32 \(10, 10\)"),
    ("maml targets of other tasks", adapt("maml", X, Y[:2]),
     r"y_support must be float32 targets \[tasks, examples, outputs\] = \(4, 10, 1\), got float32 \(2, 10, 1\)"),
    ("maml float64 targets", adapt("maml", X, Y.double()), r"y_support must be float32 targets .* got float64"),
    ("maml a list", adapt("maml", X.tolist(), Y), r"x_support must be a tensor \[tasks, examples, 1\], got list"),
    ("maml query of other task count", predict("maml", lambda: X[:2]),
     r"x_query must have shape \[tasks, examples, 1\] with 4 tasks \(as many as the support set\), got \(2, 10, 1\)"),
    ("tnet NaN query", predict("tnet", lambda: with_value(X, 0, float("nan"))),
     "x_query must hold finite numbers, got 1 NaN"),
    ("reptile 2-D inputs", adapt("reptile", X[..., 0], Y), SHAPE + r"\(4, 10\)"),
    ("reptile NaN input", adapt("reptile", with_value(X, 0, float("nan")), Y), "x_support must hold finite numbers"),
    ("finetune float64", adapt("finetune", X.double(), Y), "x_support must be float32 \\(the model's dtype\\), got float64"),
    ("finetune empty", adapt("finetune", X[:, :0], Y[:, :0]), "x_support must hold at least one task"),
    ("lstm-meta (sine) [T, S] targets", adapt("lstm-meta", X, Y[..., 0]), r"y_support must be float32 targets"),
    ("maml (images) label out of range", adapt("maml", XI, with_value(YI, 0, 5), "images"),
     r"y_support labels must be in 0..2 \(n_way = 3, the learner's n_classes\), got labels 0..5"),
    ("lstm-meta (images) label out of range", adapt("lstm-meta", XI, with_value(YI, 0, 5), "images"),
     r"y_support labels must be in 0..2 \(n_way = 3, the learner's n_classes\), got labels 0..5"),
    ("reptile (images) negative label", adapt("reptile", XI, with_value(YI, 0, -1), "images"),
     r"y_support labels must be in 0..2 .* got labels -1..2"),
    ("maml (images) float labels", adapt("maml", XI, YI.float(), "images"),
     r"y_support must be int64 labels \[tasks, examples\] = \(2, 3\), got torch.float32 \(2, 3\)"),
    ("maml (images) wrong image size", adapt("maml", XI[..., :14, :14], YI, "images"), IMAGE_SHAPE + r"\(2, 3, 1, 14, 14\)"),
    ("maml (images) NaN pixel", adapt("maml", with_value(XI, 5, float("nan")), YI, "images"),
     "x_support must hold finite numbers, got 1 NaN"),
    ("nearest-neighbour missing class", adapt("nearest-neighbour", XI, torch.tensor([[0, 2, 2], [0, 1, 2]]), "images"),
     "y_support must hold every class 0..2 in every task's support set"),
    ("nearest-neighbour negative label", adapt("nearest-neighbour", XI, with_value(YI, 0, -1), "images"),
     "y_support must be labels 0..N-1 of an N-way episode, got a label -1"),
    ("finetune (images) float64", adapt("finetune", XI.double(), YI, "images"), "got float64"),
    ("leo NaN feature", adapt("leo", with_value(XF, 0, float("nan")), YF, "features"),
     "x_support must hold finite numbers, got 1 NaN"),
    ("leo float64 features", adapt("leo", XF.double(), YF, "features"), "x_support must be float32"),
    ("leo query of other task count", lambda: model("leo", "features").adapt(XF, YF).predict(QF[:1]),
     r"x_query must have shape \[tasks, examples, 10\] with 2 tasks"),
    ("protonet NaN pixel", adapt("protonet", with_value(XI, 7, float("nan")), YI, "images"),
     "x_support must hold finite numbers, got 1 NaN"),
    ("mann inf pixel", adapt("mann", with_value(XI, 7, float("inf")), YI, "images"),
     "x_support must hold finite numbers, got 0 NaN and 1 infinite"),
    # options of adapt
    ("maml adapt steps", adapt("maml", X, Y, steps=-1), "steps must be an integer >= 0, got -1"),
    ("mtnet adapt mask_mode", adapt("mtnet", X, Y, mask_mode="soft"),
     "mask_mode must be one of 'sample', 'expected', 'hard', got 'soft'"),
    ("reptile adapt alpha", adapt("reptile", X, Y, alpha=float("nan")), "alpha must be a finite number > 0, got nan"),
    # build, train, evaluate
    ("build unknown option", lambda: build("maml", SineTasks(seed=0), alpah=0.1), "option 'alpah' is not an option of maml"),
    ("build unknown method", lambda: build("nope", SineTasks(seed=0)), "method must be one of"),
    ("build negative seed", lambda: build("maml", SineTasks(seed=0), seed=-1), "seed must be an integer >= 0, got -1"),
    ("train checkpoint_every=0", lambda: train(model("finetune"), SineTasks(seed=0), 2, checkpoint_every=0),
     "checkpoint_every must be an integer >= 1, got 0"),
    ("train val_tasks=0", lambda: train(model("finetune"), SineTasks(seed=0), 2, val_sampler=SineTasks(seed=1),
                                        val_tasks=0), "val_tasks must be an integer >= 1, got 0"),
    ("train unknown validation option", lambda: train(model("maml"), SineTasks(seed=0), 2, val_sampler=SineTasks(seed=1),
                                                      stepz=3), "option 'stepz' is not an option of maml's adapt"),
    ("train tasks of another kind", lambda: train(model("maml"), images(), 2),
     "the model is a regression model \\(maml\\) but the tasks are classification tasks"),
    ("train images of another size", lambda: train(model("protonet", "images"), features(), 2),
     r"the model reads images 1x28x28 \(protonet\) but the tasks give 10 feature\(s\)"),
    ("train device", lambda: train(model("finetune"), SineTasks(seed=0), 2, device="bogus"),
     "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'bogus'"),
    ("train seed", lambda: train(model("finetune"), SineTasks(seed=0), 2, seed=-3), "seed must be an integer >= 0"),
    ("evaluate unknown option", lambda: evaluate(model("maml"), SineTasks(seed=0), n_tasks=5, stepz=3),
     "option 'stepz' is not an option of maml's adapt; its options are steps, alpha"),
    ("evaluate n_tasks", lambda: evaluate(model("maml"), SineTasks(seed=0), n_tasks=0),
     "n_tasks must be an integer >= 1, got 0"),
    ("evaluate a NaN model", lambda: evaluate(model("maml"), SineTasks(seed=0), n_tasks=5, alpha=1e30),
     r"the adaptation diverged: 5 of 5 tasks gave non-finite predictions \(maml with alpha=1e\+30\)"),
    # memory guards
    ("sampler meta_batch", lambda: SineTasks(meta_batch=10 ** 11), r"meta_batch = 100000000000 tasks of 20 examples "
     r"of shape 1 need about 14.6 TB of memory, more than the .* available; use a smaller meta_batch"),
    ("sample n_tasks", lambda: SineTasks(seed=0).sample(10 ** 11), r"n_tasks = 100000000000 tasks .* use a smaller n_tasks"),
    ("episode meta_batch", lambda: EpisodeSampler(images().dataset, 3, 1, 2, meta_batch=10 ** 9),
     r"meta_batch = 1000000000 tasks of 9 examples of shape 1x28x28 need about .*use a smaller meta_batch, n_way, "
     r"k_shot or q_query"),
    ("training memory", lambda: check_training_memory(model("lstm-meta", "images"), images(2 * 10 ** 5)),
     r"one training step of lstm-meta \(meta_batch = 200000 tasks of 9 examples\) needs about .* TB of memory"),
    ("image size", lambda: check_image_memory(10 ** 7, 512), r"image_size = 512 for 10000000 images needs about 14.3 TB"),
    # checkpoints and checks
    ("load NaN weights", lambda: load_meta_learner(nan_checkpoint()), "holds non-finite weights"),
    ("load into another shape", lambda: load_into(small_checkpoint(), model("finetune")),
     r"holds a 'finetune' model with learner .*'sizes': \[1, 5, 1\]"),
    ("check_device cuda index", lambda: check_device("device", "cuda:7"), r"device .*'cuda:7'"),  # < 8 GPUs
    ("check_bool", lambda: check_bool("stochastic", "yes"), "stochastic must be True or False, got 'yes'"),
    ("check_finite", lambda: check_finite("x", torch.tensor([1.0, float("-inf")])),
     "x must hold finite numbers, got 0 NaN and 1 infinite of 2 values"),
    ("method with bad learner", lambda: METHODS["protonet"](MLP((1, 4, 1)), "classification"),
     r"learner must be a ConvNet \(ProtoNet embeds images with its embed\), got MLP\(sizes=\[1, 4, 1\]"),
    ("convnet image size", lambda: ConvNet(image_size=1), "image_size must be an integer >= 2, got 1"),
]


def nan_checkpoint():
    meta = model("maml")
    path = _folder() / "nan.pt"
    save_checkpoint(path, meta)
    payload = torch.load(path, weights_only=True)
    payload["model"]["learner.b0"].fill_(float("nan"))
    torch.save(payload, path)
    return path


def small_checkpoint():
    return save_checkpoint(_folder() / "small.pt", METHODS["finetune"](MLP((1, 5, 1))))


FOLDER = []  # pytest's temporary folder for the checkpoints the API cases write


def _folder():
    return FOLDER[0]


@pytest.mark.parametrize("name, call, message", API, ids=[name for name, _, _ in API])
def test_the_api_refuses_bad_input_naming_it(name, call, message, tmp_path):
    FOLDER[:] = [tmp_path]
    with pytest.raises((ValueError, Diverged), match=message):
        call()


def test_there_are_at_least_60_bad_input_cases():
    assert len(CLI) + len(API) >= 60


def test_the_readme_quotes_what_the_command_line_prints(capsys):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("Bad input gets one line", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    pairs = list(zip(block.splitlines()[::2], block.splitlines()[1::2]))
    assert len(pairs) >= 3
    for command, printed in pairs:
        assert command.startswith("$ python -m mlkit ")
        assert main(command.split()[4:]) == 2
        assert capsys.readouterr().err.strip() == printed
