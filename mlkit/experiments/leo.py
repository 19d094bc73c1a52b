"""Tables 1–2 and Figure 2 of Rusu et al. (2019), §4.1–4.2: LEO, its ablations and MAML on the same pre-trained
features, on Omniglot with held-out alphabets.

``python -m mlkit reproduce leo [--quick] [--json] [--out-dir DIR]`` (and two partial reruns into an existing result,
``leo-maml``: the MAML rows with the step size chosen on the validation alphabet, ``leo-steps``: the accuracy by
number of latent steps of the Figure 2 models):

1. a feature extractor (``mlkit.features.pretrain``: a 3-block ConvNet, 576-d features) is trained to classify the
   680 training classes of the shipped Omniglot subsets split by alphabet (Greek, Japanese (katakana), Korean,
   Sanskrit and Tagalog, each character also turned by 90, 180 and 270 degrees), 10 epochs; it never sees the
   validation (Early Aramaic) or test alphabets (Latin, Balinese). Reused from ``<out_dir>/features-omniglot.pt``
   when that file exists; ``python -m mlkit reproduce omniglot`` trains the same extractor for its LEO row;
2. for 5-way 1-shot and 5-shot tasks, five meta-learners are trained on the *same* features with the same budget:
   LEO with the authors' tuned hyper-parameters for miniImageNet (their public code's README: the KL weight β, the
   other regularisers and dropout; Adam 1e-3 for every row), LEO (deterministic), LEO (random prior), MAML on the
   linear classifier MLP((576, 5)) (Table 2's "MAML (our feature embedding)"; 5 inner steps, the step size chosen
   from 0.3, 1, 3, 10, 30 by the best validation accuracy, each trained with the full budget; α = 3 won at both
   shot counts), and LEO with a strong KL weight
   β = 5 (the model of Figure 2 (a), see below); training episodes are drawn across the training alphabets,
   validation episodes inside Early Aramaic, and the model with the best validation accuracy is kept;
3. every model is tested on the same 600 test tasks drawn *inside* one test alphabet (the one-shot task of Lake et al.
   2015; queries: the remaining 20 − K images of each class), with a nearest-class-mean classifier on the same
   features as a baseline without meta-learning, and the differences to LEO paired by task;
4. Figure 2 in numbers (``figure2_numbers``), for LEO and for the β = 5 model: the accuracy the latent steps add
   (paired by task; without and with the fine-tuning steps, and by number of latent steps), how far the codes move against the distance between neighbouring encoder codes, how many
   adapted codes have an adapted code as nearest neighbour (the adapted codes leave the encoder's cloud), and the
   k-nearest-neighbour class purity of the codes before and after adaptation, raw and relative to their task's mean
   code (paired by task).

Why Omniglot with held-out alphabets, and why β = 5 beside the tuned model. On features of the procedural glyph
alphabet (this experiment's earlier setting) the encoder alone solved the tasks: the codes moved by 0.2 % of their
spacing and a nearest-class-mean classifier matched LEO. Tasks drawn inside one new alphabet are hard (5-way 1-shot
accuracies of 70 to 73 %), but the full run (``mlkit/results/leo.json``) shows that the tuned LEO still leans on its
encoder: its latent steps, measured without the fine-tuning steps, add about 2 points at 1 shot and 9 at 5 shots, and
move the codes less than the distance between neighbouring encoder codes. A strong KL weight squeezes the encoder's
codes together; its latent steps then add about 24 points and carry the adapted codes out of the encoder's cloud, as
in the paper's Figure 2 (a), in a model that is less accurate than the tuned one. Measured on LEO's whole evaluation
path, with the five fine-tuning steps that follow the latent steps (their learned step sizes grew from 1e-3 to about
1), the latent steps add −0.2 ± 0.4 points (tuned) and +1.8 ± 0.6 (β = 5) at 1 shot, +7.6 ± 0.6 and −2.2 ± 0.6 at
5 shots: the fine-tuning steps make up most of what the latent steps do alone (``latent_steps_numbers``; the
accuracy by number of latent steps, 0 to 10, with and without fine-tuning, is in the result). The comparison with the paper is
mixed: at 1 shot LEO beats MAML on the same features and the deterministic ablation matches LEO, as in Table 2, but the
random prior costs more than in the paper; at 5 shots MAML and the nearest-class-mean classifier beat every LEO
variant within this budget.

Checkpoints: ``<out_dir>/leo-{1,5}shot.pt`` (tuned LEO), ``<out_dir>/leo-strong-kl-{1,5}shot.pt`` (β = 5) and
the extractor; the package ships copies in ``mlkit/checkpoints/`` for notebook 06. Budget: 3000 meta-steps of 12
tasks per model (the paper: up to 100 000), 600 test tasks (the paper: 10 000).
"""
from __future__ import annotations

import json
import re
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mlkit.checkpoint import load_meta_learner, read_checkpoint, save_checkpoint
from mlkit.evaluate import confidence_interval, evaluate
from mlkit.experiments.report import QUICK_MARK, load_result, markdown_table, write_result
from mlkit.features import FeatureExtractor, default_extractor_path, extract, pretrain
from mlkit.learners import MLP
from mlkit.meta import MAML
from mlkit.meta.base import MetaLearner
from mlkit.meta.leo import LEO
from mlkit.tasks import EpisodeSampler, TaskBatch
from mlkit.train import best_path, train

NAME = "leo"
N_WAY = 5
SOURCE = "omniglot"
# The authors' tuned regularisers for miniImageNet (their public code's README), by shot count. Their tuned outer
# learning rates (2.7e-4 and 4.1e-4) are for up to 100 000 steps; with our 3000, every row uses Adam 1e-3.
TUNED = {
    1: {"beta": 0.756143, "orthogonality_penalty": 0.188103, "dropout": 0.307651, "encoder_penalty": 5.756821e-6,
        "l2_penalty": 3.623413e-10},
    5: {"beta": 0.466387, "orthogonality_penalty": 1.523998e-3, "dropout": 0.300299, "encoder_penalty": 2.661608e-7,
        "l2_penalty": 8.540338e-9},
}
META_LR = 1e-3
STRONG_KL = 5.0  # β of the Figure 2 (a) model
PAPER = {  # miniImageNet 5-way, Rusu et al. (2019) Tables 1 and 2 (5-shot ablations were not reported)
    "LEO": (60.06, 75.72), "LEO (deterministic)": (60.01, None), "LEO (random prior)": (59.72, None),
    "MAML (same features)": (58.05, 72.41),
}
STRONG = "LEO, strong KL (β = 5)"
METHODS = (*PAPER, STRONG)
BASELINE = "nearest class mean (no meta-learning)"
FIGURE2 = {"LEO": "leo", STRONG: "leo-strong-kl"}  # the models Figure 2 is measured on, and their checkpoint names
FULL = {"pretrain_epochs": 10, "steps": 3000, "test_tasks": 600, "val_every": 500, "val_tasks": 200, "jobs": 1,
        "within_alphabet": True, "figure_tasks": 1000, "maml_alphas": [0.3, 1.0, 3.0, 10.0, 30.0]}
QUICK = {"pretrain_epochs": 1, "steps": 30, "test_tasks": 100, "val_every": 30, "val_tasks": 50, "jobs": 1,
         "within_alphabet": True, "figure_tasks": 100, "maml_alphas": [1.0, 3.0]}
MAML_ROW = "MAML (same features)"
# MAML's inner step α on the unit-norm features is chosen per shot count on the validation alphabet: every α of
# ``settings["maml_alphas"]`` trains the MAML row with the full budget (same initial weights, same tasks), and the α
# whose best validation accuracy is highest is kept (``maml_row``). ``python -m mlkit reproduce leo-maml`` reruns
# this for the MAML row alone.
TRAIN_SEED, VAL_SEED, TEST_SEED = 1, 2, 3
PURITY_K = 5


def load_data(data_root: str | None = None) -> dict[str, Any]:
    """The Omniglot splits by alphabet (``mlkit.experiments.omniglot.load_data``: training classes with rotations)."""
    from mlkit.experiments import omniglot

    return omniglot.load_data(data_root)


def feature_extractor(path: Path, epochs: int, train_split: Any, log: Any = print,
                      shipped_ok: bool = False) -> FeatureExtractor:
    """The extractor saved at ``path``; else (``shipped_ok``) the shipped one; else a new one pre-trained on the
    training split (seed 0) and saved at ``path``."""
    if path.is_file():
        return FeatureExtractor.load(path)
    if shipped_ok and default_extractor_path(SOURCE).is_file():
        return FeatureExtractor.load(default_extractor_path(SOURCE))
    extractor = pretrain(train_split, epochs=epochs, seed=0, log=log)
    extractor.save(path)
    return extractor


def build_method(method: str, dim: int, k_shot: int, alpha: float | None = None) -> MetaLearner:
    """The rows of the table, all over the same D-dimensional features (LEO's variants with the tuned values);
    MAML with inner step size ``alpha`` (required for it, chosen on the validation alphabet by ``maml_row``)."""
    if method == MAML_ROW:
        if alpha is None:
            raise ValueError("alpha: MAML's inner step size must be given (maml_row chooses it on validation tasks)")
        return MAML(MLP((dim, N_WAY)), "classification", meta_lr=META_LR, steps=5, alpha=alpha)
    flags = {"LEO": {}, "LEO (deterministic)": {"stochastic": False}, "LEO (random prior)": {"prior": "random"},
             STRONG: {"beta": STRONG_KL}}
    return LEO(MLP((dim, N_WAY)), "classification", meta_lr=META_LR, k_shot=k_shot,
               **{**TUNED[k_shot], **flags[method]})


def episodes(features: Any, k_shot: int, seed: int, within_alphabet: bool, queries: int | None = None,
             meta_batch: int = 100) -> EpisodeSampler:
    """5-way ``k_shot`` tasks; ``queries`` per class (None: every remaining image of the class)."""
    q = features.per_class - k_shot if queries is None else queries
    return EpisodeSampler(features, N_WAY, k_shot, q, meta_batch=meta_batch, seed=seed, within_alphabet=within_alphabet)


def nearest_mean_score(sampler: EpisodeSampler, n_tasks: int) -> dict[str, Any]:
    """Accuracy of classifying each query by the most similar class mean of the support features (cosine): what the
    features give with no meta-learning at all. Tasks drawn as ``evaluate`` draws them; per-task values included."""
    chunks = [sampler.sample(min(100, n_tasks - i)) for i in range(0, n_tasks, 100)]
    fields = ("x_support", "y_support", "x_query", "y_query")
    batch = TaskBatch(*(torch.cat([getattr(c, k) for c in chunks]) for k in fields))
    onehot = torch.nn.functional.one_hot(batch.y_support, sampler.n_way).float()  # [T, NK, N]
    means = onehot.transpose(1, 2) @ batch.x_support  # [T, N, D] (sums; the norm does not change cosine ranks)
    scores = batch.x_query @ torch.nn.functional.normalize(means, dim=-1).transpose(1, 2)  # [T, Q, N]
    accuracy = (scores.argmax(-1) == batch.y_query).float().mean(1)  # [T]
    return score_row(confidence_interval(accuracy.double().numpy(), "accuracy"))


def score_row(score: Any) -> dict[str, Any]:
    """A ``Score`` as a JSON row: mean, ci95, n and the per-task values (for paired comparisons)."""
    return {"mean": score.mean, "ci95": score.ci95, "n": score.n, "tasks": score.values.tolist()}


def _score(score: Any) -> dict[str, float]:
    return {"mean": score.mean, "ci95": score.ci95, "n": score.n}


def latent_steps_numbers(meta: LEO, sampler: EpisodeSampler, n_tasks: int) -> dict[str, Any]:
    """Accuracy after 0, 1, 2, 5 and 10 latent steps, without and with the model's fine-tuning steps, and what its
    trained number of latent steps adds over none in each case, paired by task (``mlkit.live.leo.latent_steps_table``,
    which notebook 06 calls too), on ``sampler.reseeded()``'s first ``n_tasks`` tasks."""
    from mlkit.live.leo import latent_steps_table

    table = latent_steps_table(meta, sampler, n_tasks)
    return {**{k: table[k] for k in ("finetune_steps", "steps", "latent_steps", "finetune_lr", "n_tasks")},
            "accuracy": {f: {s: _score(v) for s, v in by_steps.items()} for f, by_steps in table["accuracy"].items()},
            "gain": {f: _score(v) for f, v in table["gain"].items()}}


def figure2_numbers(meta: LEO, sampler: EpisodeSampler, n_tasks: int, k: int = PURITY_K) -> dict[str, Any]:
    """Figure 2 in numbers on ``n_tasks`` tasks (``mlkit.live.leo``'s functions, which notebook 06 calls too), with
    the accuracy by number of latent steps, without and with the fine-tuning steps that follow them."""
    from mlkit.live.leo import code_geometry, latent_gain

    gain = latent_gain(meta, sampler, n_tasks)
    return {"latent_gain": {k2: v for k2, v in gain.as_dict().items() if k2 != "metric"},
            **code_geometry(meta, sampler, n_tasks, k), "latent_steps": latent_steps_numbers(meta, sampler, n_tasks)}


def train_one(method: str, k_shot: int, settings: dict[str, Any], features: dict[str, Any],
              out: Path, alpha: float | None = None) -> tuple[MetaLearner, dict[str, Any]]:
    """Train one row (resuming its checkpoint in ``out/runs``); returns the best-by-validation model and its log.
    ``alpha``: MAML's inner step size (each α its own run, from the same initial weights)."""
    torch.manual_seed(100 * k_shot + METHODS.index(method))  # the same initial weights however shots are scheduled
    meta = build_method(method, features["train"].feature_dim, k_shot, alpha)
    sampler = episodes(features["train"], k_shot, TRAIN_SEED, within_alphabet=False, queries=15, meta_batch=12)
    val = episodes(features["val"], k_shot, VAL_SEED, settings["within_alphabet"])
    slug = re.sub(r"[^a-z0-9]+", "-", method.lower().replace("β", "beta")).strip("-")
    if alpha is not None:
        slug += f"-alpha{alpha:g}"
    path = out / "runs" / NAME / f"{slug}-{k_shot}shot.pt"
    tic = time.perf_counter()
    history = train(meta, sampler, settings["steps"], val_sampler=val, val_every=settings["val_every"],
                    val_tasks=settings["val_tasks"], checkpoint=path, device="cpu", seed=0, progress=False)
    best = best_path(path)
    meta = load_meta_learner(best if best.is_file() else path).eval()
    return meta, {"train_steps": settings["steps"], "train_s": round(time.perf_counter() - tic, 1),
                  "val_accuracy": history.val_metric, "val_steps": history.val_steps, "best_step": history.best_step,
                  "diverged_at": history.diverged_at}


def maml_row(k_shot: int, settings: dict[str, Any], features: dict[str, Any],
             out: Path) -> tuple[MetaLearner, dict[str, Any]]:
    """MAML's row with its inner step size chosen on the validation alphabet: every α of ``settings["maml_alphas"]``
    trains with the full budget from the same initial weights on the same tasks; the α whose best validation accuracy
    is highest is kept (a diverged run counts as worst). Returns that model and its log, with ``alpha`` and the sweep
    (``alpha_sweep``: best validation accuracy and training time by α)."""
    tic = time.perf_counter()
    runs = {alpha: train_one(MAML_ROW, k_shot, settings, features, out, alpha) for alpha in settings["maml_alphas"]}

    def best_val(log: dict[str, Any]) -> float:
        return max(log["val_accuracy"]) if log["val_accuracy"] and log["diverged_at"] is None else -1.0

    chosen = max(runs, key=lambda a: best_val(runs[a][1]))
    meta, log = runs[chosen]
    sweep = {f"{a:g}": {"best_val_accuracy": best_val(lg), "best_step": lg["best_step"],
                        "diverged_at": lg["diverged_at"], "train_s": lg["train_s"]} for a, (_, lg) in runs.items()}
    return meta, {**log, "alpha": chosen, "alpha_sweep": sweep, "sweep_s": round(time.perf_counter() - tic, 1)}


def run_shot(k_shot: int, settings: dict[str, Any], extractor_path: str, data: dict[str, Any],
             out_dir: str) -> dict[str, Any]:
    """Train and test every row for one shot count, and measure Figure 2 on the LEO models."""
    extractor = FeatureExtractor.load(extractor_path)
    features = {s: extract(extractor, data[s]) for s in ("train", "val", "test")}
    out = Path(out_dir)
    test = episodes(features["test"], k_shot, TEST_SEED, settings["within_alphabet"])
    rows, figure2 = [], {}
    for method in METHODS:
        meta, log = (maml_row(k_shot, settings, features, out) if method == MAML_ROW
                     else train_one(method, k_shot, settings, features, out))
        score = evaluate(meta, test.reseeded(), n_tasks=settings["test_tasks"])  # the same test tasks for every row
        rows.append({"method": method, "k_shot": k_shot, **score_row(score),
                     "paper": PAPER.get(method, (None, None))[0 if k_shot == 1 else 1], **log})
        if method in FIGURE2:
            save_checkpoint(out / f"{FIGURE2[method]}-{k_shot}shot.pt", meta, data=data["train"].name,
                            features=extractor.fingerprint(), k_shot=k_shot, **{k: v for k, v in log.items()
                                                                                  if k != "train_s"})
            figure2[method] = figure2_numbers(meta, test, settings["figure_tasks"])
    rows.append({"method": BASELINE, "k_shot": k_shot, **nearest_mean_score(test.reseeded(), settings["test_tasks"]),
                 "paper": None})
    return {"rows": rows, "figure2": figure2}


def run(quick: bool = False, as_json: bool = False, out_dir: str = "results", data_root: str | None = None, *,
        data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Pre-train the extractor, train and test every row at 1 and 5 shots, measure Figure 2; write the table.

    ``data``: the splits to use instead of Omniglot by alphabet (tests pass small ones). Quick mode (a pipeline
    check) uses the shipped extractor when the data are the default ones.
    """
    start = time.perf_counter()
    settings = dict(QUICK if quick else FULL)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    default_data = data is None
    data = data or load_data(data_root)
    path = out / f"features-{SOURCE}.pt"
    extractor = feature_extractor(path, settings["pretrain_epochs"], data["train"], log=None if as_json else print,
                                  shipped_ok=quick and default_data)
    if not path.is_file():
        extractor.save(path)
    for split in ("train", "val", "test"):  # fill the feature cache once, before any worker needs it
        extract(extractor, data[split])
    job = partial(run_shot, settings=settings, extractor_path=str(path), data=data, out_dir=str(out))
    if settings["jobs"] > 1:
        with ProcessPoolExecutor(settings["jobs"], mp_context=get_context("spawn")) as pool:
            per_shot = list(pool.map(job, (1, 5)))
    else:
        per_shot = [job(k) for k in (1, 5)]
    rows = [row for shot in per_shot for row in shot["rows"]]
    result = {
        "experiment": NAME, "quick": quick, "n_way": N_WAY, "feature_dim": extractor.dim, "data": data["train"].name,
        "settings": settings, "tuned": {str(k): v for k, v in TUNED.items()}, "strong_kl": STRONG_KL,
        "features": {k: v for k, v in extractor.info.items() if k != "history"},
        "pretraining": extractor.info.get("history", []), "rows": rows,
        "figure2": {str(k): shot["figure2"] for k, shot in zip((1, 5), per_shot)},
        "ordering": ordering(rows), "wall_s": round(time.perf_counter() - start, 1),
    }
    return write_result(NAME, result, markdown(result), out, as_json)


# ----- partial reruns: one row, or one set of measurements, into an existing result ---------------------------

def base_result(out: Path) -> dict[str, Any]:
    """The result to update: ``<out>/leo.json`` if there is one, else the shipped one (``mlkit/results/leo.json``)."""
    path = out / f"{NAME}.json"
    return json.loads(path.read_text()) if path.is_file() else load_result(NAME)


def checkpoint_of(out: Path, name: str) -> Path:
    """``<out>/<name>.pt`` if that run wrote one, else the shipped copy in ``mlkit/checkpoints``."""
    path = out / f"{name}.pt"
    return path if path.is_file() else Path(__file__).resolve().parents[1] / "checkpoints" / f"{name}.pt"


def _features_for(out: Path, data: dict[str, Any] | None, data_root: str | None) -> tuple[Any, dict[str, Any]]:
    """The extractor the result was made with (``<out>/features-omniglot.pt``, else the shipped one) and the
    features of the three splits."""
    data = data or load_data(data_root)
    extractor = feature_extractor(out / f"features-{SOURCE}.pt", FULL["pretrain_epochs"], data["train"],
                                  shipped_ok=True)
    made_with = read_checkpoint(checkpoint_of(out, f"{FIGURE2['LEO']}-1shot"))["features"]
    if made_with != extractor.fingerprint():
        raise ValueError(f"features: the result's LEO models were trained on other features ({made_with[:12]}...) "
                         f"than {out / f'features-{SOURCE}.pt'} gives ({extractor.fingerprint()[:12]}...): rerun "
                         "`python -m mlkit reproduce leo` whole")
    return extractor, {split: extract(extractor, data[split]) for split in ("train", "val", "test")}


def rerun_maml(quick: bool = False, as_json: bool = False, out_dir: str = "results", data_root: str | None = None, *,
               data: dict[str, Any] | None = None) -> dict[str, Any]:
    """``python -m mlkit reproduce leo-maml``: the MAML rows of ``leo`` again, with the inner step size chosen on the
    validation alphabet (``maml_row``), tested on the same test tasks as every other row; the rows, the paired
    comparisons and the ordering of ``<out_dir>/leo.json`` (else of the shipped result) are replaced, and
    ``leo.json``/``leo.md`` written to ``out_dir``. Quick mode: the quick settings (a pipeline check)."""
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = base_result(out)
    settings = {**(QUICK if quick else result["settings"]), "maml_alphas": (QUICK if quick else FULL)["maml_alphas"]}
    extractor, features = _features_for(out, data, data_root)
    rows = result["rows"]
    for k_shot in (1, 5):
        meta, log = maml_row(k_shot, settings, features, out)
        test = episodes(features["test"], k_shot, TEST_SEED, settings["within_alphabet"])
        score = evaluate(meta, test.reseeded(), n_tasks=settings["test_tasks"])
        at = next(i for i, r in enumerate(rows) if r["method"] == MAML_ROW and r["k_shot"] == k_shot)
        rows[at] = {"method": MAML_ROW, "k_shot": k_shot, **score_row(score), "paper": rows[at]["paper"], **log}
    result.update(rows=rows, ordering=ordering(rows), settings={**result["settings"], "maml_alphas":
                                                                  settings["maml_alphas"]},
                  quick=bool(result["quick"] or quick), maml_rerun_s=round(time.perf_counter() - start, 1))
    return write_result(NAME, result, markdown(result), out, as_json)


def rerun_latent_steps(quick: bool = False, as_json: bool = False, out_dir: str = "results",
                       data_root: str | None = None, *, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """``python -m mlkit reproduce leo-steps``: for the two Figure 2 models of each shot count (``<out_dir>``'s
    checkpoints, else the shipped ones), the accuracy after 0, 1, 2, 5 and 10 latent steps without and with the
    fine-tuning steps, and the gain of the trained latent steps in both cases (``latent_steps_numbers``), on the
    result's Figure 2 test tasks; written into ``<out_dir>/leo.json`` (else a copy of the shipped result) and
    ``leo.md``. Quick mode: 100 tasks."""
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = base_result(out)
    settings = QUICK if quick else result["settings"]
    _, features = _features_for(out, data, data_root)
    for k_shot in (1, 5):
        test = episodes(features["test"], k_shot, TEST_SEED, settings["within_alphabet"])
        for method, name in FIGURE2.items():
            meta = load_meta_learner(checkpoint_of(out, f"{name}-{k_shot}shot")).eval()
            numbers = result["figure2"][str(k_shot)][method]
            numbers["latent_steps"] = latent_steps_numbers(meta, test, settings["figure_tasks"])
    result.update(quick=bool(result["quick"] or quick), latent_steps_s=round(time.perf_counter() - start, 1))
    return write_result(NAME, result, markdown(result), out, as_json)


def paired(rows: list[dict[str, Any]], method: str, other: str, k_shot: int) -> dict[str, float]:
    """``method`` minus ``other`` in accuracy, paired by test task (mean and 95% interval)."""
    found = {r["method"]: r for r in rows if r["k_shot"] == k_shot}
    gap = confidence_interval(np.asarray(found[method]["tasks"]) - np.asarray(found[other]["tasks"]), "accuracy")
    return {"mean": gap.mean, "ci95": gap.ci95}


def ordering(rows: list[dict[str, Any]]) -> dict[str, dict[str, bool]]:
    """The paper's claims per shot count (Table 2), with differences paired by test task: LEO ≥ deterministic (its
    interval reaches 0 or above), deterministic ≈ random prior (the interval of their difference holds 0), random
    prior > MAML and LEO > MAML (intervals above 0)."""
    checks = {}
    for k in sorted({r["k_shot"] for r in rows}):
        def gap(a: str, b: str) -> dict[str, float]:
            return paired(rows, a, b, k)

        det_rnd = gap("LEO (deterministic)", "LEO (random prior)")
        checks[f"{k}-shot"] = {
            "LEO >= deterministic": gap("LEO", "LEO (deterministic)")["mean"]
            + gap("LEO", "LEO (deterministic)")["ci95"] >= 0,
            "deterministic ~ random prior": abs(det_rnd["mean"]) <= det_rnd["ci95"],
            "random prior > MAML": gap("LEO (random prior)", "MAML (same features)")["mean"]
            - gap("LEO (random prior)", "MAML (same features)")["ci95"] > 0,
            "LEO > MAML": gap("LEO", "MAML (same features)")["mean"] - gap("LEO", "MAML (same features)")["ci95"] > 0,
        }
    return checks


def markdown(result: dict[str, Any]) -> str:
    """The accuracy table beside the paper's, the paired differences to LEO, and Figure 2 in numbers."""
    rows = result["rows"]

    def cell(row: dict[str, Any] | None) -> dict[str, float] | None:
        return None if row is None else {"mean": 100 * row["mean"], "ci95": 100 * row["ci95"]}

    def delta(method: str, k: int) -> str:
        if method == "LEO" or not any(r["method"] == method and r["k_shot"] == k for r in rows):
            return "–"
        g = paired(rows, method, "LEO", k)
        return f"{100 * g['mean']:+.1f} ± {100 * g['ci95']:.1f}"

    table = []
    for method in (*METHODS, BASELINE):
        found = {r["k_shot"]: r for r in rows if r["method"] == method}
        paper = PAPER.get(method, (None, None))
        table.append([method, cell(found.get(1)), delta(method, 1), paper[0], cell(found.get(5)), delta(method, 5),
                      paper[1]])
    header = ["method", "1-shot, ours", "minus LEO, paired", "1-shot, paper", "5-shot, ours", "minus LEO, paired",
              "5-shot, paper"]
    n = rows[0]["n"]
    where = ("Omniglot, held-out alphabets, 5-way, {n} test tasks inside one alphabet" if result["data"] == "omniglot"
             else f"{result['data']}, 5-way, {{n}} test tasks")
    title = (f"# LEO on {result['feature_dim']}-d features of {where.format(n=n)}, accuracy % ± 95% interval"
             + (QUICK_MARK if result["quick"] else ""))
    lines = [title, "", markdown_table(header, table), "",
             "Paper: miniImageNet (WRN-28-10 features); compare the ordering, not the values.", ""]
    for shots, checks in result["ordering"].items():
        lines.append(f"- {shots}: " + ", ".join(f"{claim}: {'yes' if ok else 'NO'}" for claim, ok in checks.items()))
    lines += maml_lines(rows)
    lines += ["", "## Figure 2 in numbers (test tasks)", ""]
    for shots, models in result["figure2"].items():
        for method, f in models.items():
            g, p = f["latent_gain"], f["purity"]
            tuned = f.get("latent_steps", {}).get("gain", {})
            with_ft = [v for key, v in tuned.items() if key != "0"]
            finetuned = (f" without the fine-tuning steps, {100 * with_ft[0]['mean']:+.1f} ± "
                         f"{100 * with_ft[0]['ci95']:.1f} with them" if with_ft else "")
            lines.append(
                f"- {shots}-shot, {method}: the latent steps add {100 * g['mean']:+.1f} ± {100 * g['ci95']:.1f} "
                f"points{finetuned}; "
                f"codes move {f['moved']:.2f} (nearest encoder code {f['neighbour_distance']:.2f} away); "
                f"{100 * f['adapted_near_adapted']:.0f} % of adapted codes have an adapted code as nearest neighbour; "
                f"{PURITY_K}-NN class purity relative to the task's mean code {p['centred']['z']:.3f} -> "
                f"{p['centred']['z_adapted']:.3f} (paired {p['centred']['gain']:+.3f} ± {p['centred']['ci95']:.3f}), "
                f"raw {p['raw']['z']:.3f} -> {p['raw']['z_adapted']:.3f}.")
    lines += latent_steps_lines(result["figure2"])
    note = " (quick mode: a pipeline check, not a result)" if result["quick"] else ""
    lines += ["", f"- wall time {result['wall_s']:.0f} s{note}"]
    for key, what in (("maml_rerun_s", "leo-maml"), ("latent_steps_s", "leo-steps")):
        if key in result:
            lines.append(f"- `python -m mlkit reproduce {what}`: {result[key]:.0f} s")
    return "\n".join(lines)


def maml_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Which inner step size MAML's row uses at each shot count, and the validation accuracy of every α tried."""
    lines = []
    for row in rows:
        if row["method"] == MAML_ROW and "alpha_sweep" in row:
            tried = ", ".join(f"α = {a}: {100 * v['best_val_accuracy']:.1f} %" if v["diverged_at"] is None
                              else f"α = {a}: diverged" for a, v in row["alpha_sweep"].items())
            lines.append(f"- MAML's inner step size, chosen on the validation alphabet, {row['k_shot']}-shot: "
                         f"α = {row['alpha']:g} (best validation accuracy by α: {tried})")
    return lines


def latent_steps_lines(figure2: dict[str, Any]) -> list[str]:
    """The accuracy by number of latent steps, without and with the fine-tuning steps (a table), if measured."""
    table, steps = [], None
    for shots, models in figure2.items():
        for method, f in models.items():
            numbers = f.get("latent_steps")
            if numbers is None:
                continue
            steps = numbers["steps"]
            for finetune in numbers["finetune_steps"]:
                acc = numbers["accuracy"][str(finetune)]
                table.append([f"{shots}-shot, {method}", str(finetune),
                              *(f"{100 * acc[str(s)]['mean']:.1f}" for s in steps)])
    if not table:
        return []
    n = next(f["latent_steps"]["n_tasks"] for models in figure2.values() for f in models.values()
             if "latent_steps" in f)
    return ["", f"## Accuracy by number of latent steps ({n} test tasks, %)", "",
            markdown_table(["model", "fine-tuning steps", *(f"{s} latent" for s in steps)], table)]


EXPERIMENTS = {NAME: run, "leo-maml": rerun_maml, "leo-steps": rerun_latent_steps}
