"""Memory-based meta-learners on held-out Omniglot characters: MANN's accuracy by instance (Santoro et al. 2016,
Table 1) and Meta Networks' N-way one-shot accuracy (Munkhdalai & Yu 2017, Table 1).

``python -m mlkit reproduce mann [--quick]``

**Data.** The shipped Omniglot characters split by character (``Omniglot(split_by="character")``: 164 training,
15 validation and 63 test characters, every alphabet in every split, 20 images each), 28×28, no augmentation.

**MANN.** A sequence shows N held-out characters × 10 images each in a random order, labels one step late
(Santoro et al. 2016, §2); the prediction at every step, made before that step's label arrives, is scored by
*instance*: the 1st, 2nd, 3rd, 4th, 5th and 10th image of its class, as in their Table 1. N = 5 and N = 15, with
one-hot labels (the paper's Table 2 gives its 15-class results with five-character string labels instead: not
the same task, so those numbers are not put beside ours). One network per N (``mlkit.live.memory.NETWORK``: an LSTM
of 32 units, 16 memory slots of 16 numbers, one read head, a 16-filter ConvNet in front; the paper: 200 units, 128
slots of 40, 4 heads, pixels in), meta-trained in two phases with Adam 1e-2: first on sequences of 2 images per
class (the network leaves its plateau there in a few hundred steps), then on the 10-image sequences it is scored
on; the model of the best validation check (query accuracy on the 15 validation characters) is kept. A sequence
with exactly 10 images of each class can be partly predicted from the labels alone, so every column also gives a
*control*: the same sequences with the images of another episode (``shuffle_images``); the paired difference is
what remembering the images is worth.

**Meta Networks.** One model per N (5 and 20), trained on 1-shot episodes with 5 queries per class and scored on
600 test episodes (95% intervals). The paper's Table 1 numbers printed beside ours are the two we could check
(5-way 98.95, 20-way 97.00); they come from a different split of the full Omniglot set with far more training
characters. Santoro et al.'s Table 1 rows printed are those we could check against a copy of the table (MANN and
LSTM); the others are left out.

Full mode: the four trainings took 35 min (MANN, 5 classes), 50 min (MANN, 15 classes), 10 min and 18 min (Meta
Networks, 5- and 20-way) of wall time on one CPU core each, two at a time on a shared 2-core machine; scoring
about a minute. ``--quick`` (a pipeline check of a few steps, numbers meaningless) takes a couple of minutes. Trainings resume from their checkpoints in
``<out_dir>/runs/mann``; full mode ships the result to ``mlkit/results/mann.json`` and the models to
``mlkit/checkpoints/mann-{5,15}way.pt`` and ``metanet-{5,20}way.pt``.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import torch

from mlkit.checkpoint import load_meta_learner, save_checkpoint
from mlkit.evaluate import Score, evaluate
from mlkit.experiments.report import QUICK_MARK, markdown_table, out_dir_flag, write_result
from mlkit.learners import ConvNet
from mlkit.live.memory import INSTANCES, accuracy_by_instance, build_mann, characters, paired_difference, train_mann
from mlkit.meta.mann import MANN
from mlkit.meta.metanet import MetaNet
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.train import History, best_path, train

NAME = "mann"
PACKAGE = Path(__file__).resolve().parents[1]
TRAIN_SEED, VAL_SEED, TEST_SEED = 0, 1, 2
SEQUENCE = 10  # images per class in the scored sequences (Santoro et al.: 10th instance is their last column)
# Santoro et al. (2016), Table 1: 5 classes per episode, one-hot labels, accuracy % at the i-th instance.
PAPER_MANN = {"MANN (paper)": dict(zip(INSTANCES, (36.4, 82.8, 91.0, 92.6, 94.9, 98.1))),
              "LSTM (paper)": dict(zip(INSTANCES, (24.4, 49.5, 55.3, 61.0, 63.6, 62.5)))}
PAPER_METANET = {5: 98.95, 20: 97.00}  # Munkhdalai & Yu (2017), Table 1: N-way one-shot accuracy %, Omniglot
METANET_QUERIES = 5
FULL: dict[str, Any] = {"mann": {5: {"warmup": 1500, "steps": 6000, "meta_batch": 8, "queries": 2},
                 15: {"warmup": 4000, "steps": 3000, "meta_batch": 4, "queries": 1}},
        "metanet": {5: 2500, 20: 1000}, "metanet_meta_batch": 4, "metanet_hidden": 32,
        "val_every": 500, "val_episodes": 50, "test_episodes": 500, "metanet_test_episodes": 600}
QUICK: dict[str, Any] = {"mann": {5: {"warmup": 6, "steps": 4, "meta_batch": 2, "queries": 2},
                  15: {"warmup": 4, "steps": 2, "meta_batch": 2, "queries": 1}},
         "metanet": {5: 4, 20: 2}, "metanet_meta_batch": 2, "metanet_hidden": 8,
         "val_every": 2, "val_episodes": 4, "test_episodes": 20, "metanet_test_episodes": 20}


def log(text: str) -> None:
    print(f"[mann] {text}", flush=True)


def percent(score: Score) -> dict[str, float]:
    return {"mean": 100 * score.mean, "ci95": 100 * score.ci95, "n": score.n}


def train_mann_model(n_way: int, cfg: dict[str, Any], runs: Path) -> tuple[MANN, dict[str, History]]:
    """The two phases for N classes (resumed from their checkpoints); returns the best phase-2 model and the
    histories of both phases ("warmup", "sequences")."""
    plan = cfg["mann"][n_way]
    warm = build_mann(n_way, TRAIN_SEED)
    log(f"MANN, {n_way} classes: {plan['warmup']} steps on 2 images per class")
    first = train_mann(warm, 2, plan["warmup"], TRAIN_SEED, plan["meta_batch"], progress=cfg is not QUICK,
                       checkpoint=runs / f"mann-{n_way}way-warmup.pt", val_every=cfg["val_every"],
                       val_tasks=cfg["val_episodes"])
    meta = build_mann(n_way, TRAIN_SEED)
    meta.load_state_dict(warm.state_dict())
    log(f"MANN, {n_way} classes: {plan['steps']} steps on {SEQUENCE} images per class")
    path = runs / f"mann-{n_way}way.pt"
    second = train_mann(meta, SEQUENCE, plan["steps"], TRAIN_SEED + 1, plan["meta_batch"],
                        progress=cfg is not QUICK, checkpoint=path, val_every=cfg["val_every"],
                        val_tasks=cfg["val_episodes"], q_query=plan["queries"])
    best = load_meta_learner(best_path(path)) if best_path(path).is_file() else meta
    assert isinstance(best, MANN)
    return best, {"warmup": first, "sequences": second}


def score_mann(meta: Any, n_way: int, cfg: dict[str, Any]) -> dict[str, Any]:
    """Accuracy by instance on held-out sequences, the shuffled-images control, and their paired difference."""
    n = cfg["test_episodes"]
    real = accuracy_by_instance(meta, n_way, SEQUENCE, n, TEST_SEED, instances=INSTANCES)
    control = accuracy_by_instance(meta, n_way, SEQUENCE, n, TEST_SEED, shuffle_images=True, instances=INSTANCES)
    return {"instances": {i: percent(real[i]) for i in INSTANCES},
            "control": {i: percent(control[i]) for i in INSTANCES},
            "gap": {i: percent(paired_difference(real[i], control[i])) for i in INSTANCES}}


def train_metanet(n_way: int, cfg: dict[str, Any], runs: Path) -> MetaNet:
    """Meta Networks for N-way one-shot episodes (resumed from its checkpoint); the best model by validation."""
    torch.manual_seed(TRAIN_SEED)
    meta = MetaNet(ConvNet(1, n_way, hidden=cfg["metanet_hidden"], image_size=28, downsample="stride"))
    steps = cfg["metanet"][n_way]
    episodes = EpisodeSampler(characters("train"), n_way, 1, METANET_QUERIES, cfg["metanet_meta_batch"], TRAIN_SEED)
    val_way = min(n_way, characters("val").n_classes)  # 15 validation characters
    val = EpisodeSampler(characters("val"), val_way, 1, METANET_QUERIES, 1, VAL_SEED)
    path = runs / f"metanet-{n_way}way.pt"
    log(f"Meta Networks, {n_way}-way: {steps} steps of {cfg['metanet_meta_batch']} episodes")
    train(meta, episodes, steps, val_sampler=val, val_every=cfg["val_every"], val_tasks=cfg["val_episodes"],
          checkpoint=path, device="cpu", seed=TRAIN_SEED, log_every=25, progress=cfg is not QUICK)
    best = load_meta_learner(best_path(path)) if best_path(path).is_file() else meta
    assert isinstance(best, MetaNet)
    return best


def score_metanet(meta: MetaNet, n_way: int, cfg: dict[str, Any]) -> dict[str, float]:
    episodes = EpisodeSampler(characters("test"), n_way, 1, METANET_QUERIES, 1, TEST_SEED)
    return percent(evaluate(meta, episodes, cfg["metanet_test_episodes"], chunk=50))


def run(quick: bool = False, as_json: bool = False, out_dir: str = "results") -> dict[str, Any]:
    """Train (or resume), score and tabulate; full mode ships the result and the four models."""
    start = time.perf_counter()
    cfg = QUICK if quick else FULL
    runs = Path(out_dir) / "runs" / (NAME + ("-quick" if quick else ""))
    runs.mkdir(parents=True, exist_ok=True)
    mann, mann_models, histories = {}, {}, {}
    for n_way in cfg["mann"]:
        mann_models[n_way], phases = train_mann_model(n_way, cfg, runs)
        histories[n_way] = {name: {"steps": h.steps, "train_loss": h.train_loss, "val_steps": h.val_steps,
                                   "val_accuracy": h.val_metric, "best_step": h.best_step,
                                   "diverged_at": h.diverged_at} for name, h in phases.items()}
        log(f"MANN, {n_way} classes: scoring {cfg['test_episodes']} held-out sequences")
        mann[n_way] = score_mann(mann_models[n_way], n_way, cfg)
    metanet, metanet_models = {}, {}
    for n_way in cfg["metanet"]:
        metanet_models[n_way] = train_metanet(n_way, cfg, runs)
        log(f"Meta Networks, {n_way}-way: scoring {cfg['metanet_test_episodes']} test episodes")
        metanet[n_way] = score_metanet(metanet_models[n_way], n_way, cfg)
    result = {
        "name": NAME, "quick": quick, "settings": cfg, "sequence": SEQUENCE, "instances": list(INSTANCES),
        "mann": mann, "mann_history": histories, "paper_mann": PAPER_MANN,
        "metanet": metanet, "paper_metanet": PAPER_METANET,
        "command": f"python -m mlkit reproduce {NAME}{' --quick' if quick else ''}{out_dir_flag(out_dir)}",
        "wall_s": time.perf_counter() - start,
    }
    result = write_result(NAME, jsonable(result), markdown(jsonable(result)), out_dir, as_json)
    if not quick:
        shutil.copy(Path(out_dir) / f"{NAME}.json", PACKAGE / "results" / f"{NAME}.json")
        shutil.copy(Path(out_dir) / f"{NAME}.md", PACKAGE / "results" / f"{NAME}.md")
        for n_way, mann_model in mann_models.items():
            save_checkpoint(PACKAGE / "checkpoints" / f"mann-{n_way}way.pt", mann_model)
        for n_way, metanet_model in metanet_models.items():
            save_checkpoint(PACKAGE / "checkpoints" / f"metanet-{n_way}way.pt", metanet_model)
    return result


def jsonable(value: Any) -> Any:
    """Dict keys as strings (JSON's), recursively."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def markdown(result: dict[str, Any]) -> str:
    """The three tables: accuracy by instance for 5 and 15 classes (with the control), Meta Networks."""
    columns = [str(i) for i in result["instances"]]
    ordinal = {"1": "1st", "2": "2nd", "3": "3rd"}
    header = ["accuracy % at the i-th image of a class"] + [ordinal.get(c, f"{c}th") for c in columns]
    rows = []
    for n_way in result["mann"]:
        scores = result["mann"][n_way]
        rows.append([f"MANN, {n_way} classes (ours)", *[scores["instances"][c] for c in columns]])
        rows.append([f"images shuffled, {n_way} classes (control)", *[scores["control"][c] for c in columns]])
        rows.append([f"ours minus control, {n_way} classes (paired)", *[scores["gap"][c] for c in columns]])
    for name, values in result["paper_mann"].items():
        rows.append([f"{name}, 5 classes", *[values[c] for c in columns]])
    meta_rows = [[f"{n}-way 1-shot", result["metanet"][n], result["paper_metanet"].get(n, "–")]
                 for n in result["metanet"]]
    title = "Memory-based meta-learners on held-out Omniglot characters"
    if result["quick"]:
        title += QUICK_MARK
    cfg = result["settings"]
    notes = [
        f"`{result['command']}`; {cfg['test_episodes']} held-out sequences of N characters × {result['sequence']} "
        "images in a random order, labels one step late; mean ± 1.96·σ/√n over sequences.",
        "Control: the same sequences with the images of another sequence (same labels): what the label sequence "
        "alone allows. Paired: ours minus control, sequence by sequence.",
        "Paper: Santoro et al. (2016), Table 1 (5 classes, one-hot labels, full Omniglot). Their 15-class results "
        "(Table 2) use five-character string labels, a different task: not shown.",
        f"Meta Networks: {cfg['metanet_test_episodes']} test episodes, {METANET_QUERIES} queries per class; paper: "
        "Munkhdalai & Yu (2017), Table 1 (full Omniglot, another split).",
        *[f"{n} classes: ours equals the control at every instance (every paired interval contains 0): this network "
          "did not learn to use the images; what it scores comes from the label sequence."
          for n, scores in result["mann"].items()
          if all(abs(g["mean"]) <= g["ci95"] for g in scores["gap"].values())],
        f"This command took {result['wall_s']:.0f} s (trainings cached in the run folder are reused).",
    ]
    return (f"**{title}**\n\n" + markdown_table(header, rows, digits=1) + "\n\n"
            + markdown_table(["Meta Networks, accuracy %", "ours", "paper"], meta_rows, digits=2) + "\n\n"
            + "\n".join(f"- {n}" for n in notes))


EXPERIMENTS = {NAME: run}
