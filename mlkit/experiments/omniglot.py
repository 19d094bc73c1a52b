"""Omniglot with held-out alphabets: every classification method of mlkit, scored on the same test episodes.

``python -m mlkit reproduce omniglot [--quick] [--device cuda]``

The benchmark is the one-shot classification task of Lake, Salakhutdinov & Tenenbaum (2015): recognise characters
of alphabets never seen in training, each episode's classes drawn from *one* alphabet (similar-looking characters).
Data: the two small Omniglot background subsets shipped with mlkit, split by alphabet (``mlkit.tasks.omniglot``):
training Greek, Japanese_(katakana), Korean, Sanskrit, Tagalog (170 characters, each also turned by 90/180/270°:
680 classes), validation Early_Aramaic, test Latin and Balinese. Four settings: 5-way and 20-way, 1- and 5-shot,
5 queries per class, 600 test episodes per setting, the same episodes for every method, so differences between
methods are measured episode by episode (paired): mean and 95% interval (1.96·σ/√n) of the per-episode
differences to the best method of the column.

**Budget rules, the same for every method.** One backbone: the 4-block ConvNet of Finn et al. (2017) for Omniglot
(64 filters, 3×3, stride 2, batch norm, ReLU), except the LSTM meta-learner, whose cost grows with the number of
learner weights times its 12 updates: it gets the 16-filter max-pool ConvNet of ``reproduce lstm-omniglot``. Every
method trains on ``episodes`` training episodes of 1 shot (Reptile: 10 shots per class, its code's "train-shots"),
5 queries per class, drawn across the training alphabets, with Koch et al.'s random affine distortions on every
image; the joint classifier behind fine-tuning and nearest neighbour sees as many batches of 32 classes × 4 images.
Every ``val_every`` iterations the model is scored on ``val_episodes`` validation episodes (within Early_Aramaic);
the best one is tested. A method whose output layer has N units (the gradient-based ones, MANN, Meta Networks,
LEO) is trained once per N; the others (Prototypical, Matching, Relation and Siamese networks, fine-tune, nearest
neighbour) once, 20-way, and tested at both N. LEO is trained per N and K (its encoder expects K examples per
class), on the features of a ConvNet pre-trained to classify the 680 training classes only. Test-time adaptation
follows the papers: 3 (5-way) or 5 (20-way) gradient steps for MAML, first-order MAML and MT-nets (Lee 2018, §6.3),
1 for Meta-SGD (Li et al. 2017), 50 for Reptile (its evaluation), T = 12 for the LSTM meta-learner; fine-tuning's step size and decay are
chosen on validation episodes. Two method-free baselines (``mlkit.baselines``) need no training.

The papers' numbers are beside ours for orientation only: they are on the full Omniglot background set (964
characters, about 6× ours; 1200 training characters for the MAML-style papers) and, except Lake et al.'s, on the
easier episodes drawn *across* alphabets.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mlkit.baselines import MethodFree
from mlkit.checkpoint import load_meta_learner
from mlkit.checks import check_bool
from mlkit.evaluate import confidence_interval, evaluate
from mlkit.experiments.report import QUICK_MARK, markdown_table, out_dir_flag, write_result
from mlkit.learners import MLP, ConvNet
from mlkit.meta import METHODS, MetaLearner
from mlkit.tasks.augment import AffineDistortion
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tasks.omniglot import Omniglot
from mlkit.train import best_path, train

NAME = "omniglot"
PACKAGE = Path(__file__).resolve().parents[1]
SETTINGS = ((5, 1), (5, 5), (20, 1), (20, 5))  # (N ways, K shots)
TRAIN_SEED, VAL_SEED, TEST_SEED = 0, 2, 1
QUERIES = 5  # per class, in training, validation and test episodes
SHIPPED = ("protonet", "matching", "relation", "siamese")  # their 20-way models ship for notebook 07

FULL = {"episodes": 4000, "val_every": 250, "val_episodes": 100, "test_episodes": 600, "joint_batch": 32,
        "feature_epochs": 10, "sgd_lrs": [0.01, 0.03, 0.1, 0.3], "sgd_decays": [1.0, 0.9], "sgd_val_episodes": 50}
QUICK = {"episodes": 8, "val_every": 4, "val_episodes": 4, "test_episodes": 8, "joint_batch": 8,
         "feature_epochs": 1, "sgd_lrs": [0.1], "sgd_decays": [1.0], "sgd_val_episodes": 4}


@dataclass(frozen=True)
class Recipe:
    """How one method is trained and tested in this table."""

    method: str
    label: str
    per_way: bool  # True: the output layer has N units, one model per N; False: one 20-way model for both N
    options: dict[int, dict[str, Any]] = field(default_factory=dict)  # constructor options by N (or {0: ...})
    meta_batch: int = 4  # episodes per meta-iteration
    train_shots: int = 1
    test: dict[int, dict[str, Any]] = field(default_factory=dict)  # adapt() options at test time, by N (or {0: ...})

    def constructor_options(self, n_way: int) -> dict[str, Any]:
        return dict(self.options.get(n_way, self.options.get(0, {})))

    def test_options(self, n_way: int) -> dict[str, Any]:
        return dict(self.test.get(n_way, self.test.get(0, {})))


GRADIENT_STEPS = {5: {"alpha": 0.4, "steps": 1}, 20: {"alpha": 0.1, "steps": 1}}
GRADIENT_TEST = {5: {"steps": 3}, 20: {"steps": 5}}  # Lee (2018) §6.3: 3 / 5 steps at test for 5- / 20-way
RECIPES = (
    # Finn et al. (2017) Omniglot: α 0.4 (5-way, 1 step, meta-batch 32), α 0.1 (20-way, 5 steps, meta-batch 16);
    # here one step for both N and meta-batch 4 (the same budget in episodes as every method).
    Recipe("maml", "MAML", True, GRADIENT_STEPS, test=GRADIENT_TEST),
    Recipe("fomaml", "first-order MAML", True, GRADIENT_STEPS, test=GRADIENT_TEST),
    # Nichol et al. (2018) Omniglot: Adam inner steps 1e-3 (5-way, 5 steps, batch 10) / 5e-4 (20-way, 10, batch 20),
    # 10 shots per class in training, meta-step 1 -> 0, 50 steps at test.
    Recipe("reptile", "Reptile", True, {5: {"alpha": 1e-3, "steps": 5, "inner_batch": 10},
                                       20: {"alpha": 5e-4, "steps": 10, "inner_batch": 20}},
           meta_batch=5, train_shots=10, test={0: {"steps": 50}}),
    Recipe("metasgd", "Meta-SGD", True, GRADIENT_STEPS, test={0: {"steps": 1}}),  # Li et al. (2017): one step
    Recipe("mtnet", "MT-net", True, GRADIENT_STEPS, test=GRADIENT_TEST),
    Recipe("lstm-meta", "LSTM meta-learner", True, {0: {"steps": 12, "bn_momentum": 0.9}}),
    Recipe("protonet", "Prototypical Networks", False),
    Recipe("matching", "Matching Networks (FCE)", False, {0: {"fce": True}}),
    Recipe("relation", "Relation Networks", False),
    Recipe("siamese", "Siamese network", False),
    Recipe("mann", "MANN", True),
    Recipe("metanet", "Meta Networks", True),
    Recipe("leo", "LEO (pre-trained features)", True),
    Recipe("finetune", "fine-tune (joint classifier)", False),
    Recipe("nearest-neighbour", "nearest neighbour (joint classifier)", False),
)
METHOD_FREE = {"pixels": "pixel nearest neighbour", "hausdorff": "modified Hausdorff distance"}
# Published accuracy (%) in the settings (5w1s, 5w5s, 20w1s, 20w5s), full Omniglot, across alphabets unless noted.
PAPERS = {
    "maml": ((98.7, 99.9, 95.8, 98.9), "Finn et al. 2017, Table 1"),
    "fomaml": ((98.3, 99.2, 89.4, 97.9), "Finn et al. 2017, Table 1"),
    "reptile": ((97.68, 99.48, 89.43, 97.12), "Nichol et al. 2018, Table 1, with transduction as here"),
    "metasgd": ((99.53, 99.93, 95.93, 98.97), "Li et al. 2017, Table 1"),
    "mtnet": ((99.5, None, 96.2, None), "Lee 2018, Table 6.3"),
    "protonet": ((98.8, 99.7, 96.0, 98.9), "Snell et al. 2017, Table 1"),
    "matching": ((98.1, 98.9, 93.8, 98.5), "Vinyals et al. 2016, Table 1"),
    "relation": ((99.6, 99.8, 97.6, 99.1), "Sung et al. 2018, Table 1"),
    "siamese": ((None, None, 92.0, None), "Koch et al. 2015 (Lake's within-alphabet task)"),
    "metanet": ((98.95, None, 97.00, None), "Munkhdalai & Yu 2017, Table 1"),
    "pixels": ((None, None, 20.0, None), "Lake et al. 2015 (within-alphabet, about 80% error)"),
    "hausdorff": ((None, None, 61.2, None), "Lake et al. 2015 (within-alphabet, 38.8% error)"),
}
PEOPLE = 95.5  # Lake et al. 2015: people make 4.5% errors on the within-alphabet 20-way one-shot task


def load_data(root: str | Path | None = None) -> dict[str, Omniglot]:
    """Training (with rotations), validation and test alphabets of the shipped subsets (or ``root``)."""
    return {s: Omniglot(root, split=s, rotations=(s == "train")) for s in ("train", "val", "test")}


def learner(recipe: Recipe, n_outputs: int) -> ConvNet:
    """The table's backbone (the LSTM meta-learner's smaller one for it), with ``n_outputs`` output units."""
    if recipe.method == "lstm-meta":
        return ConvNet(1, n_outputs, hidden=16, image_size=28, downsample="maxpool")
    return ConvNet(1, n_outputs, hidden=64, image_size=28, downsample="stride",
                   transform=recipe.method == "mtnet")


def sampler(dataset: Omniglot, n_way: int, k_shot: int, meta_batch: int, seed: int, *, augment: bool = False,
            within_alphabet: bool = True) -> EpisodeSampler:
    return EpisodeSampler(dataset, n_way, k_shot, QUERIES, meta_batch, seed, within_alphabet=within_alphabet,
                          augment=AffineDistortion() if augment else None)


def log(text: str) -> None:
    print(f"[omniglot] {text}", flush=True)


# ----- training -------------------------------------------------------------------------------------------------

def train_joint(data: dict, cfg: dict, runs: Path, device: str) -> MetaLearner:
    """The joint classifier over all training classes behind fine-tune and nearest neighbour (best by validation)."""
    from mlkit.meta import FineTune

    path = runs / "joint.pt"
    torch.manual_seed(TRAIN_SEED)
    meta = FineTune(learner(RECIPES[0], data["train"].n_classes), "classification")
    batches = EpisodeSampler(data["train"], min(cfg["joint_batch"], data["train"].n_classes), 2, 2, 1, TRAIN_SEED,
                             augment=AffineDistortion())
    log(f"joint classifier: {cfg['episodes']} batches of {batches.n_way} classes x 4 images")
    train(meta, batches, cfg["episodes"], val_sampler=sampler(data["val"], 20, 1, 1, VAL_SEED),
          val_every=cfg["val_every"], val_tasks=cfg["val_episodes"], checkpoint=path, device=device,
          seed=TRAIN_SEED, log_every=50, progress=cfg is FULL)
    return load_meta_learner(best_path(path))


def train_features(data: dict, cfg: dict, runs: Path) -> dict:
    """LEO's inputs: every image's features from a ConvNet pre-trained on the training classes only (cached)."""
    from mlkit.features import FeatureExtractor, extract, pretrain

    path = runs / "features.pt"
    if path.is_file():
        extractor = FeatureExtractor.load(path)
    else:
        log(f"pre-training LEO's feature extractor on the {data['train'].n_classes} training classes")
        extractor = pretrain(data["train"], epochs=cfg["feature_epochs"], seed=TRAIN_SEED, log=log)
        extractor.save(path)
    return {s: extract(extractor, d) for s, d in data.items()}


def train_recipe(recipe: Recipe, data: dict, n_way: int, cfg: dict, runs: Path, device: str,
                 k_shot: int = 1) -> MetaLearner:
    """Meta-train ``recipe`` for ``n_way`` episodes (resumed if its checkpoint exists); returns the best model."""
    from mlkit.meta import LEO

    path = runs / f"{recipe.method}-{n_way}way{'-%dshot' % k_shot if recipe.method == 'leo' else ''}.pt"
    torch.manual_seed(TRAIN_SEED)
    options = recipe.constructor_options(n_way)
    if recipe.method == "leo":
        meta = LEO(MLP((data["train"].images.shape[-1], n_way)), "classification", k_shot=k_shot, **options)
    else:
        meta = METHODS[recipe.method](learner(recipe, n_way), "classification", **options)
    iterations = max(1, cfg["episodes"] // recipe.meta_batch)
    shots = recipe.train_shots if recipe.method != "leo" else k_shot
    episodes = sampler(data["train"], n_way, shots, recipe.meta_batch, TRAIN_SEED,
                       augment=recipe.method != "leo", within_alphabet=False)
    val = sampler(data["val"], n_way, k_shot, 1, VAL_SEED)
    log(f"{recipe.label}, {n_way}-way: {iterations} iterations of {recipe.meta_batch} episodes")
    history = train(meta, episodes, iterations, val_sampler=val, val_every=max(1, cfg["val_every"] // recipe.meta_batch),
                    val_tasks=cfg["val_episodes"], checkpoint=path, device=device, seed=TRAIN_SEED, log_every=25,
                    progress=cfg is FULL, val_adapt=recipe.test_options(n_way))
    if history.diverged:
        log(f"{recipe.label}, {n_way}-way: diverged at iteration {history.diverged_at}; testing its best checkpoint")
    best = best_path(path)
    return load_meta_learner(best if best.is_file() else path).to(device)


# ----- scoring --------------------------------------------------------------------------------------------------

def score(model: Any, test_data: Omniglot, n_way: int, k_shot: int, cfg: dict, device: str,
          **adapt: Any) -> dict[str, Any]:
    """Accuracy on the setting's test episodes (the same for every method): mean, interval, per-episode values."""
    episodes = sampler(test_data, n_way, k_shot, 1, TEST_SEED)
    result = evaluate(model, episodes, n_tasks=cfg["test_episodes"], chunk=10, device=device, **adapt)
    return {"mean": 100 * result.mean, "ci95": 100 * result.ci95, "episodes": (100 * result.values).tolist()}


def episode_alphabets(test_data: Omniglot, n_way: int, k_shot: int, n_episodes: int) -> list[str]:
    """The alphabet of every test episode of a setting, drawn as ``evaluate`` draws them (blocks of 100)."""
    from mlkit.evaluate import DRAW_BLOCK

    episodes = sampler(test_data, n_way, k_shot, 1, TEST_SEED)
    firsts = torch.cat([episodes.sample(min(DRAW_BLOCK, n_episodes - i)).info["classes"][:, 0]
                        for i in range(0, n_episodes, DRAW_BLOCK)])
    return [test_data.alphabets[int(c)] for c in firsts]


def cached_score(cache: Path, key: dict, compute) -> dict[str, Any] | None:
    """``compute()`` unless ``cache`` holds a score made with the same ``key`` (settings); ``compute=None``: the
    cached score or None."""
    if cache.is_file():
        stored = json.loads(cache.read_text())
        if stored.get("key") == key:
            return stored["score"]
    if compute is None:
        return None
    result = compute()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "score": result}))
    return result


def paired_to_best(scores: dict[str, dict[str, Any]]) -> tuple[str, dict[str, dict[str, float]]]:
    """The column's best method and every method's paired difference to it (points; mean ± 1.96·σ/√n)."""
    best = max(scores, key=lambda m: scores[m]["mean"])
    top = np.asarray(scores[best]["episodes"])
    gaps = {}
    for method, s in scores.items():
        gap = confidence_interval(np.asarray(s["episodes"]) - top, "accuracy")
        gaps[method] = {"mean": gap.mean, "ci95": gap.ci95, "separated": gap.mean + gap.ci95 < 0}
    return best, gaps


def run(quick: bool = False, as_json: bool = False, out_dir: str = "results", device: str = "cpu",
        methods: tuple[str, ...] | None = None, ship: bool | None = None,
        assemble_only: bool = False) -> dict[str, Any]:
    """Train (or resume) every method, score all settings on the same episodes, tabulate beside the papers.

    ``methods``: restrict to these method names (and "pixels", "hausdorff"); the table then has those rows only and
    names the missing ones. ``ship``: copy the table to ``mlkit/results/omniglot.json|md`` and the 20-way models of
    ``SHIPPED`` to ``mlkit/checkpoints/`` (default: a full run of every method; never a quick run).
    ``assemble_only``: train and score nothing; tabulate the scores already cached in the run folder (a setting
    without one is shown as not run yet), e.g. while other processes are still training methods."""
    start = time.perf_counter()
    ship = (not quick and methods is None) if ship is None else check_bool("ship", ship)
    if ship and quick:
        raise ValueError("ship=True: a quick run is a pipeline check and is never shipped; run it in full")
    if ship and methods is not None and not set(SHIPPED) <= set(methods):
        raise ValueError(f"ship=True needs the shipped models' methods {list(SHIPPED)} among methods, got {list(methods)}")
    cfg = QUICK if quick else FULL
    runs = Path(out_dir) / "runs" / (NAME + ("-quick" if quick else ""))
    runs.mkdir(parents=True, exist_ok=True)
    data = load_data()
    chosen = [r for r in RECIPES if methods is None or r.method in methods]
    baselines = [k for k in METHOD_FREE if methods is None or k in methods]
    scores: dict[str, dict[str, dict[str, Any]]] = {r.method: {} for r in chosen}
    scores.update({k: {} for k in baselines})
    features = None
    for recipe in chosen:
        models: dict[tuple[int, int], Any] = {}
        if recipe.method in ("finetune", "nearest-neighbour"):
            models = {s: None for s in SETTINGS}
        for n_way, k_shot in SETTINGS:
            column = f"{n_way}w{k_shot}s"
            key = {"cfg": cfg, "recipe": repr(recipe), "setting": column}

            def compute() -> dict[str, Any]:
                nonlocal features
                adapt = recipe.test_options(n_way)
                if recipe.method in ("finetune", "nearest-neighbour"):
                    model = joint_model(recipe.method, data, cfg, runs, device, n_way, k_shot)
                elif recipe.method == "leo":
                    features = features or train_features(data, cfg, runs)
                    model = train_recipe(recipe, features, n_way, cfg, runs, device, k_shot=k_shot)
                    return score(model, features["test"], n_way, k_shot, cfg, device, **adapt)
                else:
                    trained_way = n_way if recipe.per_way else 20
                    if trained_way not in models:
                        models[trained_way] = train_recipe(recipe, data, trained_way, cfg, runs, device)
                    model = models[trained_way]
                log(f"{recipe.label}: scoring {n_way}-way {k_shot}-shot")
                return score(model, data["test"], n_way, k_shot, cfg, device, **adapt)

            found = cached_score(runs / "scores" / f"{recipe.method}-{column}.json", key,
                                 None if assemble_only else compute)
            if found is not None:  # None: assemble_only and not scored yet
                scores[recipe.method][column] = found
    for kind in baselines:
        for n_way, k_shot in SETTINGS:
            column = f"{n_way}w{k_shot}s"
            if not assemble_only:
                log(f"{METHOD_FREE[kind]}: scoring {column}")
            found = cached_score(runs / "scores" / f"{kind}-{column}.json", {"cfg": cfg, "setting": column},
                                 None if assemble_only else
                                 lambda: score(MethodFree(kind), data["test"], n_way, k_shot, cfg, "cpu"))
            if found is not None:  # None: assemble_only and not scored yet
                scores[kind][column] = found
    scores = {method: by_column for method, by_column in scores.items() if by_column}  # assemble_only: ran at all
    alphabets = {f"{n}w{k}s": episode_alphabets(data["test"], n, k, cfg["test_episodes"]) for n, k in SETTINGS}
    result = tabulate(scores, alphabets, cfg, quick, out_dir, time.perf_counter() - start)
    result = write_result(NAME, result, markdown(result), out_dir, as_json)
    if ship:
        for suffix in (".json", ".md"):
            shutil.copy(Path(out_dir) / f"{NAME}{suffix}", PACKAGE / "results" / f"{NAME}{suffix}")
        for method in SHIPPED:
            shutil.copy(best_path(runs / f"{method}-20way.pt"), PACKAGE / "checkpoints" / f"omniglot-{method}-20way.pt")
    return result


def joint_model(method: str, data: dict, cfg: dict, runs: Path, device: str, n_way: int, k_shot: int):
    """Fine-tune (step size and decay chosen on validation episodes of this setting) or nearest neighbour, both on
    the one joint classifier."""
    from mlkit.meta import FineTune, NearestNeighbour
    from mlkit.tuning import select_sgd

    joint = train_joint_cached(data, cfg, runs, device)
    cls = FineTune if method == "finetune" else NearestNeighbour
    model = cls(learner(RECIPES[0], data["train"].n_classes), "classification").to(device)
    model.load_state_dict(joint.state_dict())
    if method == "finetune":
        select_sgd(model, sampler(data["val"], n_way, k_shot, 1, VAL_SEED), lrs=cfg["sgd_lrs"],
                   decays=cfg["sgd_decays"], n_tasks=cfg["sgd_val_episodes"], chunk=10)
    return model


_JOINT: dict[Path, MetaLearner] = {}


def train_joint_cached(data: dict, cfg: dict, runs: Path, device: str) -> MetaLearner:
    if runs not in _JOINT:
        _JOINT[runs] = train_joint(data, cfg, runs, device).to(device)
    return _JOINT[runs]


# ----- the table ------------------------------------------------------------------------------------------------

def by_alphabet(episodes: list[float], alphabets: list[str]) -> dict[str, float]:
    """Mean accuracy of a method's test episodes of each alphabet."""
    return {a: float(np.mean([e for e, b in zip(episodes, alphabets) if b == a])) for a in sorted(set(alphabets))}


def tabulate(scores: dict, alphabets: dict[str, list[str]], cfg: dict, quick: bool, out_dir: str,
             seconds: float) -> dict[str, Any]:
    columns = [f"{n}w{k}s" for n, k in SETTINGS]
    best, gaps = {}, {}
    for column in columns:
        present = {m: s[column] for m, s in scores.items() if column in s}
        best[column], gaps[column] = paired_to_best(present)
    per_alphabet = {m: {c: by_alphabet(s[c]["episodes"], alphabets[c]) for c in columns if c in s}
                    for m, s in scores.items()}
    return {
        "name": NAME, "quick": quick, "settings": cfg, "columns": columns, "episode_alphabets": alphabets,
        "scores": scores, "best": best, "paired_to_best": gaps, "by_alphabet": per_alphabet,
        "papers": PAPERS, "people_20w1s": PEOPLE,
        "missing": [m for m in [r.method for r in RECIPES] + list(METHOD_FREE) if m not in scores],
        "incomplete": {m: [c for c in columns if c not in s] for m, s in scores.items() if set(s) != set(columns)},
        "command": f"python -m mlkit reproduce {NAME}{' --quick' if quick else ''}{out_dir_flag(out_dir)}",
        "wall_s": seconds,
    }


def label(method: str) -> str:
    found = [r.label for r in RECIPES if r.method == method]
    return found[0] if found else METHOD_FREE[method]


def markdown(result: dict[str, Any]) -> str:
    columns = result["columns"]
    names = {"5w1s": "5-way 1-shot", "5w5s": "5-way 5-shot", "20w1s": "20-way 1-shot", "20w5s": "20-way 5-shot"}
    header = ["method"] + [f"{names[c]} (Δ to best, paired)" for c in columns] + ["papers (full Omniglot)"]
    rows = []
    for method, by_column in result["scores"].items():
        cells = []
        for column in columns:
            if column not in by_column:  # its training for this setting had not finished
                cells.append("not run yet")
                continue
            s, gap = by_column[column], result["paired_to_best"][column][method]
            delta = "best" if method == result["best"][column] else f"{gap['mean']:+.1f} ± {gap['ci95']:.1f}"
            cells.append(f"{s['mean']:.1f} ± {s['ci95']:.1f} ({delta})")
        paper, source = result["papers"].get(method, ((None,) * 4, ""))
        published = " / ".join("–" if p is None else f"{p:g}" for p in paper)
        rows.append([label(method), *cells, f"{published} ({source})" if source else "–"])
    title = "Omniglot, held-out alphabets (Latin, Balinese), episodes within one alphabet, accuracy %"
    if result["quick"]:
        title += QUICK_MARK
    cfg = result["settings"]
    notes = [
        f"`{result['command']}`; {cfg['test_episodes']} test episodes per setting (seed {TEST_SEED}), the same for "
        f"every method; {QUERIES} queries per class; ± is 1.96·σ/√n.",
        "Δ to best: the method's accuracy minus the column's best method's, paired by test episode (mean ± 1.96·σ/√n "
        "of the per-episode differences); an interval that excludes 0 means the best method is really better.",
        f"Training: {cfg['episodes']} episodes per method (1 shot, {QUERIES} queries per class, affine distortions), "
        "the best of the validation checks kept; see the module docstring for the budget rules.",
        f"Papers: full Omniglot (964 background characters, or 1200 training characters), episodes across "
        f"alphabets except Lake et al.'s within-alphabet 20-way 1-shot task (people: {result['people_20w1s']}%). "
        "Not the same benchmark: for orientation only.",
        "20-way 1-shot by test alphabet: " + "; ".join(
            f"{label(m)} " + ", ".join(f"{a} {v:.1f}" for a, v in result["by_alphabet"][m]["20w1s"].items())
            for m in result["scores"] if "20w1s" in result["by_alphabet"][m]) + ".",
        f"This command took {result['wall_s']:.0f} s (trainings cached in the run folder are reused).",
    ]
    if result.get("missing"):
        notes.append("Not in this table yet: " + ", ".join(label(m) for m in result["missing"]) + " (their trainings "
                     "had not finished when it was assembled; the command above trains and adds them).")
    for method, absent in result.get("incomplete", {}).items():
        notes.append(f"{label(method)}: {', '.join(absent)} not run yet (its training for them had not finished when "
                     "the table was assembled; the command above trains and adds them).")
    return f"**{title}**\n\n" + markdown_table(header, rows) + "\n\n" + "\n".join(f"- {n}" for n in notes)


EXPERIMENTS = {NAME: run}
