"""Notebook 06's machinery: LEO (Rusu et al. 2019) on features of Omniglot with held-out alphabets, trained live,
and Figure 2 measured on the codes.

The setting is the one of ``python -m mlkit reproduce leo`` (``mlkit.experiments.leo``): every image becomes the
576-d feature vector of the shipped extractor (``mlkit/checkpoints/features-omniglot.pt``, a ConvNet trained to
classify the 680 training classes only), LEO is meta-trained on 5-way tasks of the training alphabets and tested on
5-way tasks drawn inside one held-out alphabet (Latin or Balinese), where the encoder's first guess leaves room for
the latent steps.

One exact fact underlies the measurements: the latent steps never change a task's mean code. The support loss is a
softmax cross-entropy, and adding the same vector to every class's weights adds the same number to every logit,
which the softmax ignores; with a linear decoder, the gradients of the N codes of a task therefore sum to zero
(``code_geometry`` reports the largest shift of a task's mean). What adaptation changes, and what the classifier
sees, is each code's offset from its task's mean: the class structure is measured there ("centred" codes) as well as
on the raw codes.

What the notebook claims, and ``tests/live/test_leo.py`` checks through these same functions:

- ``train_live``: a live meta-training run (the notebook: with the strong KL weight) whose validation accuracy rises,
  and whose latent steps add accuracy;
- ``latent_gain``: on held-out test tasks, the latent steps of both shipped models add accuracy when measured alone,
  without the fine-tuning steps (paired by task, 95% interval above zero): a few points with the tuned KL weight,
  over ten with the strong one, whose encoder codes the KL term has pulled towards the prior; measured on LEO's whole
  evaluation path, with the fine-tuning steps that follow them, the strong-KL model's gain shrinks to a few points,
  since the learned fine-tuning step sizes (about 1) make up most of the same correction;
- ``latent_steps_table``: accuracy against the number of latent steps (0, 1, 2, 5, 10), without and with the
  fine-tuning steps (the notebook's figure and ``python -m mlkit reproduce leo-steps``);
- ``code_geometry``: with the strong KL weight the adapted codes leave the encoder's cloud (most have an adapted code
  as nearest neighbour), as in the paper's Figure 2 (a), and relative to their task's mean code they are more
  class-pure than the encoder's codes (paired by task, interval above zero); the tuned model's short steps leave the
  clouds overlapping and the purity as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from mlkit.checks import check_choice, check_int, check_positive
from mlkit.evaluate import DRAW_BLOCK, Score, confidence_interval
from mlkit.experiments import leo as experiment
from mlkit.features import FeatureExtractor, default_extractor_path, extract
from mlkit.learners import MLP
from mlkit.meta.leo import LEO
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.train import History, train
from mlkit.viz.leo import collect_codes, neighbour_agreement

QUICK_STEPS = 400  # meta-steps of the live run in quick mode (12 tasks each)
FULL_STEPS = 3000  # the reproduction's budget
VAL_CHECKS = 5
VAL_TASKS = 100
TEST_TASKS = 200  # held-out test tasks behind the notebook's measurements in quick mode
PURITY_K = experiment.PURITY_K


@lru_cache(maxsize=1)
def omniglot_features() -> dict[str, Any]:
    """Features of every image of the Omniglot splits by alphabet, from the shipped extractor (cached on disk by
    ``mlkit.features.extract``, so only the first call embeds the images)."""
    extractor = FeatureExtractor.load(default_extractor_path(experiment.SOURCE))
    return {split: extract(extractor, data) for split, data in experiment.load_data().items()}


def tasks(split: str, k_shot: int = 1, seed: int = experiment.TEST_SEED, meta_batch: int = 100) -> EpisodeSampler:
    """5-way ``k_shot`` tasks of one split as the reproduction draws them: training tasks across the training
    alphabets (15 queries per class), validation and test tasks inside one alphabet (all remaining images)."""
    check_choice("split", split, ("train", "val", "test"))
    features = omniglot_features()[split]
    if split == "train":
        return experiment.episodes(features, k_shot, seed, within_alphabet=False, queries=15, meta_batch=meta_batch)
    return experiment.episodes(features, k_shot, seed, within_alphabet=True, meta_batch=meta_batch)


# ----- the live run -------------------------------------------------------------------------------------------

@dataclass
class LiveRun:
    """LEO trained live, its ``History`` (validation accuracy) and the settings that made it."""

    meta: LEO
    history: History
    k_shot: int
    seed: int


def build_live(k_shot: int = 1, beta: float | None = None, seed: int = 0) -> LEO:
    """A fresh LEO over the 576-d features with the authors' tuned regularisers for ``k_shot`` and Adam 1e-3 (the
    reproduction's LEO row); ``beta`` replaces the tuned KL weight (``experiment.STRONG_KL``: the Figure 2 model).
    Weights from ``seed``."""
    k_shot = check_choice("k_shot", k_shot, (1, 5))
    torch.manual_seed(check_int("seed", seed, 0))
    options = dict(experiment.TUNED[k_shot])
    if beta is not None:
        options["beta"] = check_positive("beta", beta)
    dim = omniglot_features()["train"].feature_dim
    return LEO(MLP((dim, experiment.N_WAY)), "classification", meta_lr=experiment.META_LR, k_shot=k_shot, **options)


def train_live(meta: LEO, steps: int = QUICK_STEPS, seed: int = 0, progress: bool = True) -> LiveRun:
    """Meta-train ``meta`` on training tasks (12 per step, seed ``seed``), validated ``VAL_CHECKS`` times on the same
    ``VAL_TASKS`` validation tasks inside Early Aramaic (seed ``seed + 1``)."""
    steps = check_int("steps", steps, VAL_CHECKS)
    seed = check_int("seed", seed, 0)
    history = train(meta, tasks("train", meta.k_shot, seed, meta_batch=12), steps,
                    val_sampler=tasks("val", meta.k_shot, seed + 1), val_every=steps // VAL_CHECKS,
                    val_tasks=VAL_TASKS, device="cpu", seed=seed, log_every=max(1, steps // 40), progress=progress)
    meta.eval()
    return LiveRun(meta, history, meta.k_shot, seed)


# ----- Figure 2 in numbers ------------------------------------------------------------------------------------

def _accuracies(meta: LEO, sampler: EpisodeSampler, n_tasks: int, **adapt: Any) -> torch.Tensor:
    """Per-task query accuracy [n_tasks] on the first ``n_tasks`` tasks of ``sampler.reseeded()``."""
    sampler, values = sampler.reseeded(), []
    for start in range(0, n_tasks, DRAW_BLOCK):  # drawn as evaluate draws them
        batch = sampler.sample(min(DRAW_BLOCK, n_tasks - start))
        predicted = meta.adapt(batch.x_support, batch.y_support, **adapt).predict(batch.x_query)
        values.append((predicted == batch.y_query).float().mean(1))
    return torch.cat(values)


def latent_gain(meta: LEO, sampler: EpisodeSampler, n_tasks: int = TEST_TASKS, finetune_steps: int = 0) -> Score:
    """What the latent steps add: accuracy after the model's latent steps minus accuracy of the encoder's codes
    decoded directly, both followed by ``finetune_steps`` fine-tuning steps (0: the latent steps alone; the model's
    own number: its whole evaluation path), paired by task (mean and 95% interval of the per-task differences)."""
    n_tasks = check_int("n_tasks", n_tasks, 1)
    finetune_steps = check_int("finetune_steps", finetune_steps, 0)
    meta.eval()
    after = _accuracies(meta, sampler, n_tasks, finetune_steps=finetune_steps)
    before = _accuracies(meta, sampler, n_tasks, latent_steps=0, finetune_steps=finetune_steps)
    return confidence_interval((after - before).double().numpy(), "accuracy")


LATENT_STEPS = (0, 1, 2, 5, 10)  # the numbers of latent steps the notebook and the reproduction compare


def latent_steps_table(meta: LEO, sampler: EpisodeSampler, n_tasks: int = TEST_TASKS,
                       steps: tuple[int, ...] = LATENT_STEPS) -> dict[str, Any]:
    """Accuracy on the same ``n_tasks`` tasks (``sampler.reseeded()``) after each number of latent ``steps``,
    without fine-tuning and with the model's own fine-tuning steps, and what the model's trained number of latent
    steps adds over none in each case (paired by task).

    Returns ``{"finetune_steps": [0, F], "steps": [...], "accuracy": {"0": {"s": Score}, "F": {...}},
    "gain": {"0": Score, "F": Score}, "latent_steps": trained number, "finetune_lr": mean learned η}``."""
    n_tasks = check_int("n_tasks", n_tasks, 1)
    steps = tuple(check_int("steps", s, 0) for s in steps)
    meta.eval()
    finetunes = (0, meta.finetune_steps)
    per_task = {f: {s: _accuracies(meta, sampler, n_tasks, latent_steps=s, finetune_steps=f)
                    for s in sorted(set(steps) | {0, meta.latent_steps})} for f in finetunes}
    return {
        "finetune_steps": list(finetunes), "steps": list(steps), "latent_steps": meta.latent_steps,
        "finetune_lr": float(meta.finetune_lr.detach().mean()), "n_tasks": n_tasks,
        "accuracy": {str(f): {str(s): confidence_interval(per_task[f][s].double().numpy(), "accuracy")
                              for s in steps} for f in finetunes},
        "gain": {str(f): confidence_interval((per_task[f][meta.latent_steps] - per_task[f][0]).double().numpy(),
                                             "accuracy") for f in finetunes},
    }


def centred(codes: np.ndarray, n_way: int) -> np.ndarray:
    """Every code minus the mean code of its task: codes [T·N, n_z] ordered task by task -> [T·N, n_z]."""
    per_task = codes.reshape(-1, n_way, codes.shape[-1])
    return (per_task - per_task.mean(1, keepdims=True)).reshape(codes.shape)


def _purity_pair(before: np.ndarray, after: np.ndarray, classes: np.ndarray, n_way: int, k: int) -> dict[str, float]:
    """k-NN class purity of two sets of codes, and their difference paired by task (95% interval)."""
    a, b = neighbour_agreement(before, classes, k), neighbour_agreement(after, classes, k)  # [T·N] each
    gain = confidence_interval((b - a).reshape(-1, n_way).mean(1))
    return {"z": float(a.mean()), "z_adapted": float(b.mean()), "gain": gain.mean, "ci95": gain.ci95}


def code_geometry(meta: LEO, sampler: EpisodeSampler, n_tasks: int = TEST_TASKS, k: int = PURITY_K) -> dict[str, Any]:
    """Where the latent steps move the codes of ``n_tasks`` tasks (``sampler.reseeded()``), in the 64-d latent space.

    ``moved``: median distance between a code and its adapted code; ``neighbour_distance``: median distance from an
    encoder code to the nearest other encoder code; ``adapted_near_adapted`` / ``encoder_near_encoder``: fractions
    of adapted / encoder codes whose nearest neighbour among all codes is of their own kind (1/2 if the two clouds
    are mixed, 1 if they are apart); ``mean_shift``: the largest change of a task's mean code (0 up to rounding);
    ``purity``: ``k``-NN class purity of raw and task-centred codes, before and after, with the paired gain.
    """
    codes = collect_codes(meta, sampler, check_int("n_tasks", n_tasks, 2))
    z, za, classes, n = codes["z"], codes["z_adapted"], codes["classes"], meta.n_way
    x = torch.as_tensor(np.concatenate([z, za]), dtype=torch.float64)
    distances = torch.cdist(x, x)
    distances.fill_diagonal_(float("inf"))
    m = len(z)
    nearest = distances.argmin(1)  # [2M]
    shift = np.abs(za.reshape(-1, n, za.shape[-1]).mean(1) - z.reshape(-1, n, z.shape[-1]).mean(1)).max()
    return {
        "moved": float(np.median(np.linalg.norm(za - z, axis=1))),
        "neighbour_distance": float(distances[:m, :m].min(1).values.median()),
        "adapted_near_adapted": float((nearest[m:] >= m).double().mean()),
        "encoder_near_encoder": float((nearest[:m] < m).double().mean()),
        "mean_shift": float(shift),
        "purity": {"raw": _purity_pair(z, za, classes, n, k),
                   "centred": _purity_pair(centred(z, n), centred(za, n), classes, n, k)},
        "n_tasks": n_tasks, "k": k,
    }
