"""Notebook 07's machinery: metric-based meta-learners on Omniglot with held-out alphabets.

The benchmark is the one of ``python -m mlkit reproduce omniglot`` (``mlkit.experiments.omniglot``), whose data,
samplers and seeds this module reuses: training episodes from the five training alphabets (with rotated copies and
Koch et al.'s random distortions), validation inside Early_Aramaic, test episodes inside Latin or Balinese, each
episode's classes drawn from one alphabet (the one-shot task of Lake et al. 2015).

What the notebook shows, and ``tests/live/test_metric.py`` checks, through the same functions:

- ``train_on_alphabets`` / ``held_out_accuracy``: a live meta-training run and its score on the test alphabets;
- ``build_metric`` / ``training_episodes``: the networks and the training episodes, seeded (the student's ProtoNet
  races mlkit's on them: ``mlkit.exercises.metric.race_protonet``);
- ``linear_reading``: eq. 2 of Snell et al. (2017) read as a linear classifier on the embedding (their section 2.4);
- ``prototype_view``: one episode embedded by a Prototypical Network, with its prototypes (Snell, Swersky & Zemel
  2017, eq. 1), nearest-prototype predictions (eq. 2) and a class-separation ratio;
- ``matching_attention`` / ``own_class_attention``: the attention of Matching Networks over the support set (Vinyals
  et al. 2016, eqs. 1-2) and how much of it falls on the query's own class, against its ceiling for cosine attention;
- ``matching_against_prototypes``: with the same distance and one shot, the two methods' probabilities coincide
  (Snell et al. 2017, section 2.5);
- ``relation_against_distance``: Relation Network scores (Sung et al. 2018, eq. 1) beside the squared distance to
  the class mean that Prototypical Networks use;
- ``siamese_pairs``: the pair probabilities of a Siamese network (Koch, Zemel & Salakhutdinov 2015, section 3.1),
  read as verification and as one-shot classification.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checkpoint import load_meta_learner
from mlkit.checks import check_choice, check_int, check_range
from mlkit.evaluate import DRAW_BLOCK, Score, confidence_interval, evaluate
from mlkit.experiments import omniglot
from mlkit.experiments.report import QUICK_MARK, load_result
from mlkit.learners import ConvNet
from mlkit.meta.matching import MatchingNet
from mlkit.meta.metric import MetricLearner, check_labels, class_sums
from mlkit.meta.protonet import ProtoNet, squared_distances
from mlkit.meta.relation import RelationNet
from mlkit.meta.siamese import Siamese, same_class
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tasks.omniglot import Omniglot
from mlkit.train import History, best_path, train

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
TRAINED = ("protonet", "matching", "relation", "siamese")  # the 20-way models reproduce omniglot ships
DISTANCES = ("euclidean", "cosine")
VIEW_WAYS, VIEW_SHOTS, VIEW_QUERIES = 20, 10, 10  # the test episode the views and the explorer cut down


@functools.lru_cache(maxsize=1)
def benchmark_data() -> dict[str, Omniglot]:
    """The benchmark's splits (``mlkit.experiments.omniglot.load_data``), read once per process."""
    return omniglot.load_data()


def build_metric(method: str = "protonet", seed: int = 0) -> MetricLearner:
    """A fresh Prototypical Network (``"protonet"``) or Matching Network with the simple embedding (``"matching"``) on
    the benchmark's ConvNet (4 blocks of 64 filters, 28x28 images; its 20-unit head is not used), its weights drawn
    from ``seed`` without touching the global random numbers: the same ``seed`` gives the same network."""
    check_choice("method", method, ("protonet", "matching"))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int("seed", seed, 0))
        learner = ConvNet(in_channels=1, n_classes=20, hidden=64, image_size=28)
    return ProtoNet(learner) if method == "protonet" else MatchingNet(learner, fce=False)


def training_episodes(seed: int = 0, n_way: int = 20, meta_batch: int = 1) -> EpisodeSampler:
    """The training episodes of ``reproduce omniglot``: ``n_way`` classes drawn across the training alphabets, 1 shot
    and 5 queries per class, every image distorted (Koch et al. 2015, section 4.1); ``meta_batch`` episodes per draw."""
    return omniglot.sampler(benchmark_data()["train"], n_way, 1, meta_batch, seed, augment=True,
                            within_alphabet=False)


def train_on_alphabets(meta: MetricLearner, steps: int = 300, seed: int = 0, n_way: int = 20, meta_batch: int = 1,
                       val_checks: int = 6, val_episodes: int = 20, progress: bool = True,
                       device: str = "auto") -> History:
    """Meta-train ``meta`` as ``reproduce omniglot`` does, at a small budget; returns the training ``History``.

    Training episodes: ``training_episodes(seed, n_way, meta_batch)``, one draw per step. Validation,
    ``val_checks`` times: 20-way 1-shot episodes inside Early_Aramaic (the same ``val_episodes`` episodes every time).
    The model ends on the CPU, in eval mode.
    """
    steps = check_int("steps", steps, 1)
    val_checks = check_int("val_checks", val_checks, 1, steps)
    data = benchmark_data()
    episodes = training_episodes(seed, n_way, meta_batch)
    validation = omniglot.sampler(data["val"], 20, 1, 1, omniglot.VAL_SEED)
    history = train(meta, episodes, steps, val_sampler=validation, val_every=max(1, steps // val_checks),
                    val_tasks=val_episodes, device=device, seed=seed, log_every=max(1, steps // 30),
                    progress=progress)
    meta.cpu().eval()
    return history


def held_out_episodes(n_way: int, k_shot: int, seed: int = omniglot.TEST_SEED) -> EpisodeSampler:
    """Test episodes inside one held-out alphabet (Latin or Balinese), 5 queries per class, one at a time."""
    return omniglot.sampler(benchmark_data()["test"], n_way, k_shot, 1, seed)


def held_out_batches(n_way: int, k_shot: int, n_episodes: int, seed: int = omniglot.TEST_SEED,
                     chunk: int = 10) -> Iterator[TaskBatch]:
    """The first ``n_episodes`` held-out episodes, drawn in blocks as ``evaluate`` draws them (so they are the
    episodes ``held_out_accuracy`` scores), handed out ``chunk`` at a time."""
    sampler = held_out_episodes(n_way, k_shot, seed)
    for start in range(0, check_int("n_episodes", n_episodes, 1), DRAW_BLOCK):
        block = sampler.sample(min(DRAW_BLOCK, n_episodes - start))
        for first in range(0, block.n_tasks, chunk):
            yield block[first:first + chunk]


def held_out_accuracy(meta: MetricLearner, n_way: int = 5, k_shot: int = 1, n_episodes: int = 100,
                      seed: int = omniglot.TEST_SEED) -> Score:
    """Accuracy of ``meta`` on ``n_episodes`` test episodes (the same ones for every model with the same ``seed``);
    the per-episode accuracies are in ``Score.values``, for paired comparisons."""
    return evaluate(meta, held_out_episodes(n_way, k_shot, seed), n_tasks=check_int("n_episodes", n_episodes, 1),
                    chunk=10)


def load_trained(method: str, folder: str | Path | None = None) -> MetricLearner:
    """A 20-way 1-shot model trained by ``reproduce omniglot``, in eval mode on the CPU.

    ``folder=None``: the shipped ``mlkit/checkpoints/omniglot-METHOD-20way.pt``; otherwise the best checkpoint of a
    run folder of that command (``OUT_DIR/runs/omniglot/METHOD-20way.best.pt``).
    """
    check_choice("method", method, TRAINED)
    if folder is None:
        path = CHECKPOINTS / f"omniglot-{method}-20way.pt"
        if not path.is_file():
            raise ValueError(f"method {method!r}: the shipped model mlkit/checkpoints/{path.name} is missing (it ships "
                             "once `python -m mlkit reproduce omniglot` has run in full; or pass the folder of a run)")
    else:
        path = best_path(Path(folder) / f"{method}-20way.pt")
        if not path.is_file():
            raise ValueError(f"folder holds no trained {method} model: {path.name} is missing (run `python -m mlkit "
                             "reproduce omniglot --out-dir OUT_DIR` and pass OUT_DIR/runs/omniglot)")
    meta = load_meta_learner(path)
    if not isinstance(meta, MetricLearner) or meta.name != method:
        raise ValueError(f"method {method!r}: {path.name} holds a {meta.name} model, not a {method} one")
    return meta.cpu().eval()


def view_episode(seed: int = 0) -> TaskBatch:
    """One test episode inside one alphabet, 20-way with 10 support and 10 query images per class: the largest
    episode the views offer; ``sub_episode`` cuts smaller ones out of it, so they all share images."""
    return EpisodeSampler(benchmark_data()["test"], VIEW_WAYS, VIEW_SHOTS, VIEW_QUERIES, 1, seed,
                          within_alphabet=True).sample()


def episode_size(batch: TaskBatch) -> tuple[int, int, int]:
    """(N ways, K support and Q query images per class) of an episode as ``EpisodeSampler`` draws it."""
    n_way = check_labels("y_support", batch.y_support, batch.x_support)
    return n_way, batch.x_support.shape[1] // n_way, batch.x_query.shape[1] // n_way


def sub_episode(batch: TaskBatch, ways: int, shots: int, queries: int | None = None) -> TaskBatch:
    """The first ``ways`` classes of an episode (labels stay 0..ways-1), their first ``shots`` support images and
    their first ``queries`` queries (None: all). Works on episodes as ``EpisodeSampler`` orders them: by label."""
    n_way, k, q = episode_size(batch)
    ways, shots = check_int("ways", ways, 2, n_way), check_int("shots", shots, 1, k)
    queries = q if queries is None else check_int("queries", queries, 1, q)

    def cut(x: Tensor, per_class: int, keep: int) -> Tensor:  # [T, N*per_class, ...] -> [T, ways*keep, ...]
        return x.unflatten(1, (n_way, per_class))[:, :ways, :keep].flatten(1, 2)

    info = {"classes": batch.info["classes"][:, :ways]} if "classes" in batch.info else {}
    return TaskBatch(cut(batch.x_support, k, shots), cut(batch.y_support, k, shots),
                     cut(batch.x_query, q, queries), cut(batch.y_query, q, queries), info)


def episode_alphabet(batch: TaskBatch) -> str:
    """The test alphabet an episode's classes come from."""
    return benchmark_data()["test"].alphabets[int(batch.info["classes"][0, 0])]


# ----- Prototypical Networks ------------------------------------------------------------------------------------

def distance_matrix(query: Tensor, centres: Tensor, distance: str = "euclidean") -> Tensor:
    """d(query, centre) [..., Q, N] for queries [..., Q, F] and centres [..., N, F] (with or without a task axis):
    the squared Euclidean distance (Snell et al. eq. 2) or the cosine distance 1 - cos (the alternative their
    section 2.6 discusses)."""
    check_choice("distance", distance, DISTANCES)
    if distance == "cosine":
        return 1 - F.normalize(query, dim=-1) @ F.normalize(centres, dim=-1).transpose(-1, -2)
    if query.dim() == 2:
        return squared_distances(query[None], centres[None])[0]
    return squared_distances(query, centres)


def prototype_accuracy(meta: MetricLearner, n_way: int = 5, k_shot: int = 1, n_episodes: int = 100,
                       distance: str = "euclidean", seed: int = omniglot.TEST_SEED) -> Score:
    """Nearest-prototype accuracy of ``meta``'s embedding with either distance on the held-out episodes that
    ``held_out_accuracy`` scores (with ``distance="euclidean"`` and a ProtoNet, the same numbers)."""
    correct = []
    with torch.no_grad():
        for part in held_out_batches(n_way, k_shot, n_episodes, seed):
            support, query = meta.embed_episode(part.x_support, part.x_query)  # [T, S, F], [T, Q, F]
            prototypes = class_sums(support, part.y_support, n_way, mean=True)  # [T, N, F]
            guess = distance_matrix(query, prototypes, distance).argmin(-1)  # [T, Q]
            correct.append((guess == part.y_query).float().mean(1))
    return confidence_interval(torch.cat(correct).double().numpy(), "accuracy")


@dataclass
class PrototypeView:
    """One episode embedded by a Prototypical Network's f_phi (task 0 of the batch)."""

    support: Tensor  # [S, F] embedded support images
    query: Tensor  # [Q, F] embedded queries
    prototypes: Tensor  # [N, F] class means of the support embeddings (eq. 1)
    y_support: Tensor  # [S]
    y_query: Tensor  # [Q]
    distances: Tensor  # [Q, N] d(query, prototype)
    distance: str

    @property
    def n_way(self) -> int:
        return self.prototypes.shape[0]

    @property
    def predictions(self) -> Tensor:
        """The nearest prototype of every query [Q] (the argmax of eq. 2)."""
        return self.distances.argmin(1)

    @property
    def accuracy(self) -> float:
        return float((self.predictions == self.y_query).float().mean())

    @property
    def separation(self) -> float:
        """Mean distance of the queries to the other classes' prototypes over the mean distance to their own:
        1 when prototypes say nothing about the class, the larger the better separated."""
        own = F.one_hot(self.y_query, self.n_way).bool()  # [Q, N]
        return float(self.distances[~own].mean() / self.distances[own].mean())


def prototype_view(meta: MetricLearner, batch: TaskBatch, distance: str = "euclidean") -> PrototypeView:
    """Embed the first episode of ``batch`` (support and queries in one pass, as the method does), average each
    class's support embeddings into a prototype and measure every query's distance to every prototype."""
    with torch.no_grad():
        support, query = meta.embed_episode(batch.x_support[:1], batch.x_query[:1])  # [1, S, F], [1, Q, F]
    n_way = check_labels("y_support", batch.y_support[:1], batch.x_support[:1])
    prototypes = class_sums(support, batch.y_support[:1], n_way, mean=True)[0]  # [N, F]
    return PrototypeView(support[0], query[0], prototypes, batch.y_support[0], batch.y_query[0],
                         distance_matrix(query[0], prototypes, distance), distance)


@dataclass
class LinearReading:
    """Eq. 2's logits beside a linear layer with weights 2 c_k and biases −‖c_k‖² (Snell et al. 2017, section 2.4),
    on one episode: they differ by −‖f(x)‖², the same number for every class of a query."""

    spread: float  # largest difference, over queries, between the classes' shifts (0 up to rounding)
    shift_error: float  # largest |shift + ‖f(x)‖²|
    scale: float  # largest ‖f(x)‖² + ‖c_k‖²: the size of the numbers both computations round
    same_softmax: bool  # the two softmaxes agree (within 1e-5)

    def holds(self, tolerance: float = 1e-5) -> bool:
        """The shift is one number per query and equals −‖f(x)‖², up to float rounding (``tolerance`` × scale)."""
        return self.spread <= tolerance * self.scale and self.shift_error <= tolerance * self.scale


def linear_reading(meta: MetricLearner, batch: TaskBatch) -> LinearReading:
    """Compare ``meta``'s ProtoNet logits −‖f(x) − c_k‖² on the first episode of ``batch`` with the linear layer
    w_k = 2 c_k, b_k = −‖c_k‖² on the same embedding."""
    with torch.no_grad():
        support, query = meta.embed_episode(batch.x_support[:1], batch.x_query[:1])  # [1, S, F], [1, Q, F]
        n_way = check_labels("y_support", batch.y_support[:1], batch.x_support[:1])
        c = class_sums(support, batch.y_support[:1], n_way, mean=True)[0]  # [N, F]
        logits = -distance_matrix(query[0], c)  # [Q, N]
        linear = query[0] @ (2 * c).T - (c ** 2).sum(-1)  # [Q, N]
        norms = (query[0] ** 2).sum(-1, keepdim=True)  # [Q, 1] ‖f(x)‖²
    shift = logits - linear
    return LinearReading(float((shift.max(-1).values - shift.min(-1).values).max()),
                         float((shift + norms).abs().max()), float(norms.max() + (c ** 2).sum(-1).max()),
                         bool(torch.allclose(logits.softmax(-1), linear.softmax(-1), atol=1e-5)))


# ----- Matching Networks -----------------------------------------------------------------------------------------

def matching_attention(meta: MatchingNet, batch: TaskBatch) -> Tensor:
    """a(x_hat, x_i) [T, Q, S]: every query's attention over its episode's support set (eq. 2; with Full Context
    Embeddings when the model has them)."""
    with torch.no_grad():
        support, query = meta.embed_episode(batch.x_support, batch.x_query)
        return meta.attention(support, query)


def matching_against_prototypes(meta: MetricLearner, batch: TaskBatch) -> float:
    """The largest difference between two class probabilities on the first episode of ``batch``, both from ``meta``'s
    embedding and the squared Euclidean distance: a Matching Network's vote (a softmax over the support images of
    −d(f(x), f(x_i)), summed per class) and a Prototypical Network's softmax over the classes of −d(f(x), c_k).
    Zero with one shot per class (Snell et al. 2017, section 2.5)."""
    with torch.no_grad():
        support, query = meta.embed_episode(batch.x_support[:1], batch.x_query[:1])  # [1, S, F], [1, Q, F]
        n_way = check_labels("y_support", batch.y_support[:1], batch.x_support[:1])
        vote = torch.bmm((-squared_distances(query, support)).softmax(-1),
                         F.one_hot(batch.y_support[:1], n_way).to(support.dtype))  # [1, Q, N]
        c = class_sums(support, batch.y_support[:1], n_way, mean=True)  # [1, N, F]
        prototypical = (-squared_distances(query, c)).softmax(-1)  # [1, Q, N]
    return float((vote - prototypical).abs().max())


def attention_mass(attention: Tensor, y_support: Tensor, y_query: Tensor) -> Tensor:
    """The attention each query puts on the support images of its own class (the probability eq. 1 gives to the
    right label): attention [..., Q, S] and labels [..., S], [..., Q] -> [..., Q] (with or without a task axis)."""
    return (attention * (y_query.unsqueeze(-1) == y_support.unsqueeze(-2))).sum(-1)


def own_class_attention(meta: MatchingNet, n_way: int = 5, k_shot: int = 1, n_episodes: int = 100,
                        seed: int = omniglot.TEST_SEED) -> Score:
    """The attention a query puts on its own class, averaged over each held-out episode's queries, with its mean
    and 95% interval over ``n_episodes`` test episodes (the ones ``held_out_accuracy`` scores)."""
    masses = [attention_mass(matching_attention(meta, part), part.y_support, part.y_query).mean(1)  # [chunk]
              for part in held_out_batches(n_way, k_shot, n_episodes, seed)]
    return confidence_interval(torch.cat(masses).double().numpy(), "attention")


def cosine_attention_ceiling(n_way: int, lowest_cosine: float = -1.0) -> float:
    """The most attention a softmax over cosines can put on one class of an N-way episode with K shots each: cosine
    1 to its own K images and ``lowest_cosine`` to the others' gives K e / (K e + (N-1) K e^c), that is
    1 / (1 + (N-1) e^(c-1)): c = -1 for any embedding, c = 0 for embeddings with no negative coordinate (a ReLU
    network's), whose cosines lie in [0, 1]."""
    lowest_cosine = check_range("lowest_cosine", lowest_cosine, -1.0, 1.0)
    return 1 / (1 + (check_int("n_way", n_way, 1) - 1) * math.exp(lowest_cosine - 1))


# ----- Relation Networks and Siamese networks ---------------------------------------------------------------------

def rank_correlation(a: Tensor, b: Tensor) -> float:
    """Spearman's rank correlation of two equally long vectors (ties broken by order)."""
    ranks = [x.flatten().argsort().argsort().double() for x in (a, b)]
    centred = [r - r.mean() for r in ranks]
    return float((centred[0] * centred[1]).sum() / (centred[0].norm() * centred[1].norm()))


@dataclass
class RelationPairs:
    """Every (query, class) pair of one episode, as a Relation Network and as a nearest class mean see it."""

    scores: Tensor  # [Q, N] learned relation scores r (eq. 1)
    distances: Tensor  # [Q, N] squared Euclidean distance from the query's embedding to the class mean
    match: Tensor  # [Q, N] bool, the query's own class
    rank_correlation: float  # Spearman's, of r with -distance
    accuracy_relation: float  # queries whose largest r is their own class
    accuracy_distance: float  # queries whose nearest class mean is their own class


def relation_against_distance(meta: RelationNet, batch: TaskBatch) -> RelationPairs:
    """For every (query, class) pair of the first episode: the learned relation score (eq. 1) and the squared
    Euclidean distance from the query's embedding to the class mean, what a Prototypical Network would use on the
    same embedding; with their rank correlation and the accuracy of each rule on this episode."""
    with torch.no_grad():
        support, query = meta.embed_episode(batch.x_support[:1], batch.x_query[:1])  # [1, S, F], [1, Q, F]
        n_way = check_labels("y_support", batch.y_support[:1], batch.x_support[:1])
        scores = meta.class_scores(support, batch.y_support[:1], query, n_way)[0]  # [Q, N]
        means = class_sums(support, batch.y_support[:1], n_way, mean=True)[0]  # [N, F]
        distances = distance_matrix(query[0], means)  # [Q, N]
    y = batch.y_query[0]
    return RelationPairs(scores, distances, F.one_hot(y, n_way).bool(), rank_correlation(scores, -distances),
                         float((scores.argmax(1) == y).float().mean()),
                         float((distances.argmin(1) == y).float().mean()))


@dataclass
class SiamesePairs:
    """Every (query, support image) pair of one episode as a Siamese network judges it."""

    p: Tensor  # [Q, S] probability of the same character (Koch et al. section 3.1)
    same: Tensor  # [Q, S] bool, the truth
    verification_same: float  # same-character pairs with p > 1/2
    verification_different: float  # different-character pairs with p <= 1/2
    one_shot_accuracy: float  # queries whose most probable match is of their own class


def siamese_pairs(meta: Siamese, batch: TaskBatch) -> SiamesePairs:
    """The pair probabilities of the first episode, read as verification (p > 1/2 means "same", scored on
    same-character and different-character pairs apart) and as one-shot classification (the class of the support
    image with the largest p, ``Siamese.class_scores``)."""
    with torch.no_grad():
        support, query = meta.embed_episode(batch.x_support[:1], batch.x_query[:1])
        p = torch.sigmoid(meta.pair_logits(support, query))[0]  # [Q, S]
        n_way = check_labels("y_support", batch.y_support[:1], batch.x_support[:1])
        scores = meta.class_scores(support, batch.y_support[:1], query, n_way)[0]  # [Q, N]
    same = same_class(batch.y_query[:1], batch.y_support[:1])[0].bool()  # [Q, S]
    said_same = p > 0.5
    return SiamesePairs(p, same, float(said_same[same].float().mean()), float((~said_same[~same]).float().mean()),
                        float((scores.argmax(1) == batch.y_query[0]).float().mean()))


# ----- the full-scale benchmark beside the papers ---------------------------------------------------------------

SETTING_NAMES = {"5w1s": "5-way 1-shot", "5w5s": "5-way 5-shot", "20w1s": "20-way 1-shot", "20w5s": "20-way 5-shot"}


def load_benchmark(folder: str | Path | None = None) -> dict:
    """The result of ``reproduce omniglot``: the shipped ``mlkit/results/omniglot.json`` (``folder=None``) or the
    ``omniglot.json`` that the command wrote into its ``--out-dir`` ``folder``."""
    path = (Path(folder) if folder is not None else CHECKPOINTS.parent / "results") / "omniglot.json"
    if not path.is_file():
        if folder is None:
            raise ValueError("the shipped mlkit/results/omniglot.json is missing (it ships once `python -m mlkit "
                             "reproduce omniglot` has run in full; or pass the --out-dir of a run as folder)")
        raise ValueError(f"folder holds no omniglot.json (pass the --out-dir of a `python -m mlkit reproduce "
                         f"omniglot` run), got {str(folder)!r}")
    return load_result("omniglot", folder)


def metric_comparison(result: dict, methods: tuple[str, ...] = TRAINED) -> dict[str, dict[str, dict[str, float]]]:
    """For every setting and method: accuracy, its 95% interval, and the paired difference to the best of
    ``methods`` on the same test episodes (mean and 95% interval of the per-episode differences, in points)."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for column in result["columns"]:
        scores = {m: result["scores"][m][column] for m in methods}
        best, gaps = omniglot.paired_to_best(scores)
        table[column] = {m: {"mean": scores[m]["mean"], "ci95": scores[m]["ci95"], "gap": gaps[m]["mean"],
                             "gap_ci95": gaps[m]["ci95"], "best": float(m == best)} for m in methods}
    return table


def comparison_markdown(result: dict, methods: tuple[str, ...] = TRAINED) -> str:
    """The four methods' accuracies (paired differences to the best of them) beside the papers, as Markdown."""
    table = metric_comparison(result, methods)
    columns = result["columns"]
    header = ["method"] + [f"{SETTING_NAMES.get(c, c)} (paired Δ)" for c in columns] + ["papers: full background set"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for method in methods:
        cells = []
        for column in columns:
            row = table[column][method]
            gap = row["gap"] if abs(row["gap"]) >= 0.05 else 0.0  # no "-0.0" for a tie
            delta = "best" if row["best"] else f"{gap:+.1f} ± {row['gap_ci95']:.1f}"
            cells.append(f"{row['mean']:.1f} ± {row['ci95']:.1f} ({delta})")
        numbers, source = result["papers"].get(method, ((None,) * len(columns), ""))
        published = " / ".join("–" if v is None else f"{v:.1f}" for v in numbers)
        lines.append(f"| {omniglot.label(method)} | " + " | ".join(cells) + f" | {published} ({source}) |")
    title = "Held-out alphabets (Latin, Balinese), episodes inside one alphabet, accuracy % ± 95% interval"
    if result.get("quick"):
        title += QUICK_MARK
    cfg = result["settings"]
    notes = [f"Ours: `{result['command']}`, {cfg['episodes']} training episodes per method (20-way 1-shot), "
             f"{cfg['test_episodes']} test episodes per setting, the same for every method. Paired Δ: accuracy minus "
             "the best of these four on the same episodes, mean ± 1.96·σ/√n of the per-episode differences.",
             "Papers: the full Omniglot background set (964 characters, about six times our 170) with episodes drawn "
             "across alphabets, except Koch et al., who test Lake et al.'s 20-way one-shot task inside one alphabet "
             f"as we do; people make {100 - result['people_20w1s']:.1f} % errors on it (Lake et al. 2015). "
             "Not the same benchmark: for orientation only."]
    return f"**{title}**\n\n" + "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes)
