"""Ravi & Larochelle (2017), §5.1 and Table 1, on Omniglot: the LSTM meta-learner against its two baselines.

``python -m mlkit reproduce lstm-omniglot [--quick]``. 5-way 1-shot and 5-shot episodes with 15 queries per
class; every method is scored on the same 600 test episodes (95% intervals, 1.96·σ/√n), twice: episodes whose five
characters come from any alphabets (the table's protocol) and episodes drawn inside one alphabet (the one-shot task
of Lake et al. 2015: similar-looking characters, harder, where the differences between methods are larger):

- ``lstm-meta``: the meta-learner, T = 12 updates for 1-shot and T = 5 for 5-shot (the paper's numbers; the
  reference code uses 8 for 5-shot), batch-norm momentum 0.9 / 0.95 (reference configs), Adam 1e-3, clip 0.25;
- ``finetune``: a joint classifier over all meta-train classes, fine-tuned on each support set for T SGD steps
  whose step size and decay are chosen on validation episodes (``mlkit.tuning.select_sgd``);
- ``nearest-neighbour``: 1-NN in the same joint classifier's embedding;
- ``maml`` (Finn et al. 2017, Omniglot settings: α = 0.4, 1 inner step in training, 3 at test), for context
  (``maml=False`` leaves it out: it needs a GPU, about 4 hours per shot on 2 CPU cores).

Data: Omniglot, the two small background subsets shipped with mlkit (242 characters), or another Omniglot folder
from ``data_root`` / ``$MLKIT_OMNIGLOT``, split by character 1100:100:423 (the easy setting, as the shipped models were
trained), train characters also rotated by 90/180/270°. The paper's table is on miniImageNet: its numbers are quoted for the ordering only.
Every method uses the paper's learner, 4 × [3×3 conv, BN, ReLU, 2×2 max-pool] + linear, with 16 filters (the
paper: 32 for the meta-learner, 64 for the baselines), so that one GPU meta-trains it in about a quarter of an hour
(``--device cuda``): the shipped 5-shot model was trained so, the 1-shot one for its first 4,000 iterations (the
other 8,000 resumed from its checkpoint on CPU), and the table was scored on CPU.
Each shot's scores are cached in ``<out_dir>/runs/`` (trainings resume from their checkpoints), so the two shots
can run as two processes (``run(shots=(1,))`` and ``run(shots=(5,))``) before one call assembles the table. The
meta-learners shipped in ``mlkit/checkpoints/`` are reused when they were trained with the run's settings (their
checkpoints record the data, the shot and the iterations), and a full run ships the baselines' joint classifier
(``lstm-omniglot-joint.pt``) for notebook 04. The shipped table was scored before the image loader
learned to decide the ink polarity before resizing (``mlkit.tasks.image_files.prepare_images``); it has not been
re-scored since (without MAML: ``run(out_dir=..., maml=False)``).
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from mlkit.checkpoint import load_into, save_checkpoint
from mlkit.evaluate import confidence_interval, evaluate
from mlkit.experiments.report import markdown_table, write_result
from mlkit.learners import ConvNet
from mlkit.meta import METHODS
from mlkit.meta.finetune import FineTune
from mlkit.meta.lstm_meta import LSTMMetaLearner, gate_table, layer_gates
from mlkit.meta.nearest_neighbour import NearestNeighbour
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.train import train
from mlkit.tuning import select_sgd

NAME = "lstm-omniglot"
PACKAGE = Path(__file__).resolve().parents[1]
STEPS = {1: 12, 5: 5}  # updates per episode (paper §5.1)
BN_MOMENTUM = {1: 0.9, 5: 0.95}  # the authors' public configs
EPISODE_KINDS = {"across": False, "within": True}  # test episodes across alphabets, or inside one alphabet
TEST_SEED, VAL_SEED = 1, 2
PAPER = {  # Table 1, miniImageNet 5-way (accuracy %, 95% interval): the ordering to reproduce
    "finetune": ((28.86, 0.54), (49.79, 0.79)),
    "nearest-neighbour": ((41.08, 0.70), (51.04, 0.65)),
    "lstm-meta": ((43.44, 0.77), (60.60, 0.71)),
}
LABELS = {"lstm-meta": "Meta-learner LSTM", "finetune": "Baseline-finetune",
          "nearest-neighbour": "Baseline-nearest-neighbour", "maml": "MAML"}
# The full run: one learner size (16 filters) for every method; 12000 (1-shot) / 4000 (5-shot) meta-iterations of
# 4 episodes for the LSTM (48k / 16k episodes; the paper 75k / 50k of one episode each), MAML with the Omniglot
# settings of Finn et al. (meta-batch 32, α = 0.4) for 3000 iterations (paper 60k). About 15 min on one GPU
# (``--device cuda``), most of a day on 2 CPU cores (1-shot LSTM ≈ 0.4 s per iteration).
FULL = {"filters": 16, "baseline_filters": 16, "lstm_iterations": {1: 12000, 5: 4000}, "meta_batch": 4,
        "pretrain_steps": 2000, "maml_iterations": 3000, "maml_meta_batch": 32, "test_episodes": 600,
        "val_episodes": 50, "val_every": 250}
QUICK = {"filters": 8, "baseline_filters": 8, "lstm_iterations": {1: 4, 5: 4}, "meta_batch": 1, "pretrain_steps": 4,
         "maml_iterations": 4, "maml_meta_batch": 4, "test_episodes": 10, "val_episodes": 5, "val_every": 1000,
         "lrs": [0.1, 1.0], "decays": [1.0, 0.7]}
SGD_GRID = {"lrs": [0.01, 0.03, 0.1, 0.3, 1.0], "decays": [1.0, 0.9, 0.7]}  # fine-tuning search (full mode)


def load_data(data_root: str | Path | None = None) -> dict[str, Any]:
    """The three splits of Omniglot, by character: from ``data_root`` / ``$MLKIT_OMNIGLOT`` when given, else the
    shipped subsets."""
    from mlkit.tasks.omniglot import Omniglot

    root = data_root or os.environ.get("MLKIT_OMNIGLOT") or None
    splits = {s: Omniglot(root, split=s, split_by="character", rotations=(s == "train")) for s in ("train", "val", "test")}
    return {"name": "omniglot", **splits}


def small_learner(n_classes: int, filters: int = 16) -> ConvNet:
    """The learner of every method here: the paper's max-pool ConvNet with ``filters`` filters, 28×28 inputs."""
    return ConvNet(1, n_classes, hidden=filters, image_size=28, downsample="maxpool")


def episodes(dataset, k_shot: int, meta_batch: int, seed: int, within_alphabet: bool = False) -> EpisodeSampler:
    return EpisodeSampler(dataset, n_way=5, k_shot=k_shot, q_query=15, meta_batch=meta_batch, seed=seed,
                          within_alphabet=within_alphabet)


def shipped_lstm(data: dict, k_shot: int, cfg: dict) -> LSTMMetaLearner | None:
    """The shipped meta-learner for ``k_shot`` if it was trained with these settings (data, shot, iterations)."""
    from mlkit.checkpoint import load_meta_learner, read_checkpoint

    path = PACKAGE / "checkpoints" / f"lstm-meta-{k_shot}shot.pt"
    if cfg is not FULL or not path.is_file():
        return None
    stored = read_checkpoint(path)
    if (stored.get("data"), stored.get("k_shot"), stored.get("iterations")) != (data["name"], k_shot,
                                                                                cfg["lstm_iterations"][k_shot]):
        return None
    meta = load_meta_learner(path)
    if meta.learner.config() != small_learner(5, cfg["filters"]).config():
        return None
    return meta


def train_lstm(data: dict, k_shot: int, cfg: dict, runs: Path, seed: int = 0,
               device: str = "cpu") -> tuple[LSTMMetaLearner, Any]:
    """Meta-train (or resume) the LSTM meta-learner for ``k_shot`` episodes; returns it and its History."""
    torch.manual_seed(seed)
    meta = LSTMMetaLearner(small_learner(5, cfg["filters"]), steps=STEPS[k_shot], bn_momentum=BN_MOMENTUM[k_shot])
    history = train(
        meta, episodes(data["train"], k_shot, cfg["meta_batch"], seed), cfg["lstm_iterations"][k_shot],
        val_sampler=episodes(data["val"], k_shot, 1, VAL_SEED), val_every=cfg["val_every"],
        val_tasks=cfg["val_episodes"], checkpoint=runs / f"lstm-meta-{k_shot}shot.pt", device=device, seed=seed,
        log_every=50, progress=cfg is FULL, record=False,
    )
    return meta, history


def pretrain_joint(data: dict, cfg: dict, runs: Path, seed: int = 0, device: str = "cpu") -> FineTune:
    """The joint classifier over all meta-train classes shared by both baselines (trained once, resumed)."""
    torch.manual_seed(seed)
    meta = FineTune(small_learner(data["train"].n_classes, cfg["baseline_filters"]), "classification")
    n_way = min(32, data["train"].n_classes)  # batches of 32 classes x 4 images
    sampler = EpisodeSampler(data["train"], n_way=n_way, k_shot=2, q_query=2, meta_batch=1, seed=seed)
    train(meta, sampler, cfg["pretrain_steps"], val_every=250, device=device, seed=seed, log_every=50,
          checkpoint=runs / f"joint-{cfg['baseline_filters']}filters.pt", progress=cfg is FULL)
    return meta


def train_maml(data: dict, k_shot: int, cfg: dict, runs: Path, seed: int = 0, device: str = "cpu"):
    torch.manual_seed(seed)
    meta = METHODS["maml"](small_learner(5, cfg["filters"]), "classification", 1e-3, 1, 0.4, False)
    train(meta, episodes(data["train"], k_shot, cfg["maml_meta_batch"], seed), cfg["maml_iterations"],
          val_every=cfg["maml_iterations"], checkpoint=runs / f"maml-{k_shot}shot.pt", device=device, seed=seed,
          log_every=50, progress=cfg is FULL)
    return meta


def gate_statistics(meta: LSTMMetaLearner, dataset, k_shot: int, n_episodes: int = 20, seed: int = 0) -> dict:
    """Figure 3's numbers (``gate_table``) on ``n_episodes`` test episodes."""
    batch = episodes(dataset, k_shot, n_episodes, TEST_SEED).sample().to(next(meta.parameters()).device)
    extras = meta.adapt(batch.x_support, batch.y_support).extras
    return gate_table(layer_gates(extras, torch.Generator().manual_seed(seed)))


def run_shot(data: dict, k_shot: int, cfg: dict, runs: Path, ship: bool, device: str = "cpu",
             maml: bool = True) -> dict[str, Any]:
    """Train and score every method for one shot on ``device``; cached in ``runs/lstm-omniglot-{k}shot.json``.

    ``scores`` and ``episode_accuracy`` are on episodes across alphabets; ``within`` holds the same two on episodes
    inside one alphabet."""
    cache = runs / f"{NAME}-{k_shot}shot.json"
    key = {"data": data["name"], "k_shot": k_shot, **cfg, "lstm_iterations": cfg["lstm_iterations"][k_shot],
           "episodes": list(EPISODE_KINDS), "maml": maml}
    if cache.is_file():
        cached = json.loads(cache.read_text())
        if cached.get("settings") == key:
            return cached
    start = time.perf_counter()
    models, test_options, extra = {}, {}, {}

    lstm = shipped_lstm(data, k_shot, cfg)
    if lstm is None:
        lstm, history = train_lstm(data, k_shot, cfg, runs, device=device)
        extra["lstm_history"] = {"steps": history.steps, "train_loss": history.train_loss,
                                 "val_steps": history.val_steps, "val_accuracy": history.val_metric,
                                 "diverged_at": history.diverged_at}
        if ship:
            save_checkpoint(PACKAGE / "checkpoints" / f"lstm-meta-{k_shot}shot.pt", lstm,
                            data=data["name"], k_shot=k_shot, iterations=cfg["lstm_iterations"][k_shot])
    else:  # the shipped model, trained with these settings: its training history is in the shipped table
        lstm = lstm.to(device)
        shipped = json.loads((PACKAGE / "results" / f"{NAME}.json").read_text())
        extra["lstm_history"] = shipped["per_shot"][str(k_shot)]["lstm_history"]
    models["lstm-meta"], test_options["lstm-meta"] = lstm, {"record": False}
    extra["gates"] = gate_statistics(lstm, data["test"], k_shot)

    joint = pretrain_joint(data, cfg, runs, device=device)
    if ship:
        save_checkpoint(PACKAGE / "checkpoints" / "lstm-omniglot-joint.pt", joint, data=data["name"],
                        split_by="character", pretrain_steps=cfg["pretrain_steps"])
    finetune = FineTune(small_learner(data["train"].n_classes, cfg["baseline_filters"]), "classification",
                        steps=STEPS[k_shot]).to(device)
    finetune.load_state_dict(joint.state_dict())
    extra["finetune_search"] = select_sgd(
        finetune, episodes(data["val"], k_shot, 1, VAL_SEED), n_tasks=cfg["val_episodes"], chunk=25,
        lrs=cfg.get("lrs", SGD_GRID["lrs"]), decays=cfg.get("decays", SGD_GRID["decays"]))
    neighbour = NearestNeighbour(small_learner(data["train"].n_classes, cfg["baseline_filters"]), "classification")
    neighbour.to(device)
    neighbour.load_state_dict(joint.state_dict())
    models["finetune"], models["nearest-neighbour"] = finetune, neighbour
    if maml and "maml" in METHODS:
        models["maml"], test_options["maml"] = train_maml(data, k_shot, cfg, runs, device=device), {"steps": 3}

    by_kind = {}
    for kind, within in EPISODE_KINDS.items():  # every method on the same episodes (test.reseeded() each time)
        test = episodes(data["test"], k_shot, 100, TEST_SEED, within_alphabet=within)
        scores = {m: evaluate(model, test.reseeded(), cfg["test_episodes"], chunk=25, **test_options.get(m, {}))
                  for m, model in models.items()}
        by_kind[kind] = {"scores": {m: s.as_dict() for m, s in scores.items()},
                         "episode_accuracy": {m: s.values.tolist() for m, s in scores.items()}}
    result = {"settings": key, **by_kind["across"], "within": by_kind["within"], **extra,
              "seconds": time.perf_counter() - start}
    cache.write_text(json.dumps(result, indent=1))
    return result


def paired_gap(shot_result: dict[str, Any], method: str, baseline: str) -> dict[str, float] | None:
    """``method`` minus ``baseline`` in accuracy points, paired over the shot's common test episodes (mean and
    1.96·σ/√n of the per-episode differences); None for a result cached without per-episode accuracies."""
    per_episode = shot_result.get("episode_accuracy") or {}
    if method not in per_episode or baseline not in per_episode:
        return None
    gap = confidence_interval(100 * (np.asarray(per_episode[method]) - np.asarray(per_episode[baseline])), "accuracy")
    return {"mean": gap.mean, "ci95": gap.ci95}


def run(quick: bool = False, as_json: bool = False, out_dir: str = "results", data_root: str | None = None,
        shots: Sequence[int] = (1, 5), device: str = "cpu", maml: bool = True) -> dict[str, Any]:
    """Train, score and tabulate; full mode also ships the checkpoints and ``mlkit/results/lstm-omniglot.json``.

    ``device``: where the networks train and are scored ("cpu", "cuda", "auto"); the numbers differ across devices
    by floating-point rounding only. ``maml=False``: no MAML row (its training needs a GPU to be quick)."""
    start = time.perf_counter()
    cfg = QUICK if quick else FULL
    runs = Path(out_dir) / "runs" / (NAME + ("-quick" if quick else ""))
    runs.mkdir(parents=True, exist_ok=True)
    data = load_data(data_root)
    per_shot = {k: run_shot(data, k, cfg, runs, ship=not quick, device=device, maml=maml) for k in shots}
    methods = [m for m in LABELS if all(m in r["scores"] for r in per_shot.values())]

    def percent(kind: str) -> dict[str, dict[int, dict[str, float]]]:
        found = {k: (r if kind == "across" else r["within"])["scores"] for k, r in per_shot.items()}
        return {m: {k: {"mean": 100 * found[k][m]["mean"], "ci95": 100 * found[k][m]["ci95"]} for k in shots}
                for m in methods}

    across, within = percent("across"), percent("within")
    header = (["method"] + [f"{k}-shot, across alphabets" for k in shots] + [f"{k}-shot, within one alphabet"
                                                                              for k in shots]
              + [f"{k}-shot (paper, miniImageNet)" for k in shots])

    def paper(method: str, k: int) -> dict[str, float] | None:
        if method not in PAPER:
            return None
        mean, ci95 = PAPER[method][(1, 5).index(k)]
        return {"mean": mean, "ci95": ci95}

    rows = [[LABELS[m], *[across[m][k] for k in shots], *[within[m][k] for k in shots], *[paper(m, k) for k in shots]]
            for m in methods]
    baselines = ("finetune", "nearest-neighbour")
    ordering = {k: all(across["lstm-meta"][k]["mean"] > across[b][k]["mean"] for b in baselines) for k in shots}
    gaps = {b: {k: paired_gap(r, "lstm-meta", b) for k, r in per_shot.items()} for b in baselines}
    gaps_within = {b: {k: paired_gap(r["within"], "lstm-meta", b) for k, r in per_shot.items()} for b in baselines}

    def gap_note(b: str, found: dict, where: str) -> str:
        return (f"Meta-learner minus {LABELS[b]}, paired by test episode {where} (accuracy points ± 1.96·σ/√n of the "
                "per-episode differences): " + ", ".join(f"{k}-shot {g['mean']:+.2f} ± {g['ci95']:.2f}"
                                                        for k, g in found[b].items() if g is not None) + ".")

    notes = [
        f"5-way, 15 queries per class, {cfg['test_episodes']} test episodes (seed {TEST_SEED}) of each kind, the same "
        "for every method, accuracy % ± 1.96·σ/√n. Within one alphabet: the five characters of an episode come from "
        "one alphabet (Lake et al. 2015).",
        f"Learner: 4 × [conv 3×3, {cfg['filters']} filters, BN, ReLU, max-pool 2] + linear for the meta-learners; "
        f"{cfg['baseline_filters']} filters for the baselines' joint classifier (paper: 32 and 64).",
        (f"MAML (Finn et al. 2017, Omniglot): α = 0.4, 1 inner step in training and 3 at test, meta-batch "
         f"{cfg['maml_meta_batch']}, {cfg['maml_iterations']} meta-iterations (paper 60k)." if "maml" in methods
         else "MAML: not in this run (maml=False)."),
        f"LSTM meta-learner: T = {STEPS[1]} (1-shot) / {STEPS[5]} (5-shot) updates, {cfg['lstm_iterations'][1]} / "
        f"{cfg['lstm_iterations'][5]} meta-iterations of {cfg['meta_batch']} episodes, Adam 1e-3, clip 0.25.",
        "Paper ordering (meta-learner above both baselines) holds, across alphabets: "
        + ", ".join(f"{k}-shot {'yes' if ok else 'NO'}" for k, ok in ordering.items()) + ".",
        *[gap_note(b, gaps, "across alphabets") for b in baselines if any(g is not None for g in gaps[b].values())],
        *[gap_note(b, gaps_within, "within one alphabet") for b in baselines],
    ]
    markdown = markdown_table(header, rows) + "\n\n" + "\n".join(f"- {n}" for n in notes)
    result = {
        "name": NAME, "quick": quick, "data": data["name"], "settings": cfg, "steps": STEPS, "shots": list(shots),
        "accuracy_percent": {m: {str(k): v for k, v in across[m].items()} for m in methods},
        "within_alphabet_percent": {m: {str(k): v for k, v in within[m].items()} for m in methods},
        "ordering_holds": {str(k): v for k, v in ordering.items()},
        "paired_gaps_percent": {b: {str(k): g for k, g in per_k.items()} for b, per_k in gaps.items()},
        "paired_gaps_within_percent": {b: {str(k): g for k, g in per_k.items()} for b, per_k in gaps_within.items()},
        "per_shot": {str(k): r for k, r in per_shot.items()}, "paper_miniimagenet": PAPER, "notes": notes,
        "seconds": time.perf_counter() - start,
    }
    result = write_result(NAME, result, markdown, out_dir, as_json)
    if not quick and tuple(shots) == (1, 5):
        shutil.copy(Path(out_dir) / f"{NAME}.json", PACKAGE / "results" / f"{NAME}.json")
    return result


EXPERIMENTS = {NAME: run}
