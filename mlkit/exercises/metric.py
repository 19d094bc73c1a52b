"""Checks of notebook 07's exercises: a Prototypical Network and Matching Networks' attention, written by the student.

- ``check_prototypes``: c_k = 1/|S_k| Σ_{(x_i, y_i) ∈ S_k} f(x_i), the class means (Snell, Swersky & Zemel 2017,
  eq. 1);
- ``check_protonet_loss``: p(y = k | x) = softmax_k(−‖f(x) − c_k‖²) (eq. 2, the *squared* Euclidean distance) and the
  loss −log p(y | x) of each query's own label, averaged over the queries (Algorithm 1);
- ``check_cosine_attention``: a(x̂, x_i) = softmax over the support images i of cos(f(x̂), g(x_i)) (Vinyals et al.
  2016, eq. 2);
- ``check_matching_probabilities``: ŷ = Σ_i a(x̂, x_i) y_i with one-hot labels y_i (Vinyals et al. 2016, eq. 1).

Each compares the student's function with mlkit's implementation (``mlkit.meta.protonet``, ``mlkit.meta.matching``)
on a fixed small episode of embeddings (drawn from its own generator: the notebook's random numbers are not touched)
whose labels are *shuffled*, as nothing in the equations asks the support or query set to be sorted by class; where
the result differs, the check names the mistakes it recognises. ``race_protonet`` then trains the student's
prototypes and loss over mlkit's ConvNet beside mlkit's ``ProtoNet``.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int
from mlkit.exercises.feedback import Hint, call, close, expect_tensor, largest_difference, student_function
from mlkit.exercises.race import TOLERANCE, Race, descend, race
from mlkit.meta.matching import cosine_attention as mlkit_attention
from mlkit.meta.metric import class_sums, one_hot
from mlkit.meta.protonet import squared_distances
from mlkit.tasks.batch import TaskBatch

EQ1 = "c_k = (1/|S_k|) Σ f(x_i) over the support examples of class k (Snell et al. 2017, eq. 1)"
EQ2 = ("p(y = k | x) ∝ exp(−‖f(x) − c_k‖²) and the loss −log p(y = true class | x), averaged over the queries "
       "(Snell et al. 2017, eq. 2)")
ATTENTION = "a(x̂, x_i) = exp(cos(f(x̂), g(x_i))) / Σ_j exp(cos(f(x̂), g(x_j))) (Vinyals et al. 2016, eq. 2)"
VOTE = "ŷ = Σ_i a(x̂, x_i) y_i with y_i the one-hot label of support image i (Vinyals et al. 2016, eq. 1)"


# --- mlkit's equations on one episode (no task axis) ----------------------------------------------------------

def reference_prototypes(support: Tensor, y_support: Tensor, n_way: int) -> Tensor:
    """mlkit's eq. 1 (``ProtoNet``): support [S, F], labels [S] -> prototypes [N, F]."""
    return class_sums(support[None], y_support[None], n_way, mean=True)[0]


def reference_logits(query: Tensor, c: Tensor) -> Tensor:
    """mlkit's eq. 2 before the softmax: −‖f(x) − c_k‖², queries [Q, F] and prototypes [N, F] -> [Q, N]."""
    return -squared_distances(query[None], c[None])[0]


def reference_loss(query: Tensor, y_query: Tensor, c: Tensor) -> Tensor:
    """mlkit's ``ProtoNet`` loss on one episode: the mean over the queries of −log p(y | x)."""
    return F.cross_entropy(reference_logits(query, c), y_query)


def reference_attention(query: Tensor, support: Tensor) -> Tensor:
    """mlkit's eq. 2 of Vinyals et al. (``MatchingNet``, simple embedding): [Q, F], [S, F] -> [Q, S]."""
    return mlkit_attention(query[None], support[None])[0]


def reference_probabilities(attention: Tensor, y_support: Tensor, n_way: int) -> Tensor:
    """mlkit's eq. 1 of Vinyals et al.: attention [Q, S], labels [S] -> class probabilities [Q, N]."""
    return attention @ one_hot(y_support, n_way)


# --- the checks' fixed episode ----------------------------------------------------------------------------------

@dataclass
class Episode:
    """Embeddings of one small episode, labels shuffled: N classes, K support and M queries per class, F features."""

    support: Tensor  # [N*K, F]
    y_support: Tensor  # [N*K] int64, each class K times, in shuffled order
    query: Tensor  # [N*M, F]
    y_query: Tensor  # [N*M]
    n_way: int
    shots: int


def fixed_episode(seed: int = 0, n_way: int = 3, shots: int = 2, queries: int = 4, features: int = 8) -> Episode:
    """An episode of embeddings drawn from ``seed`` (class centres plus noise, every size different from the others
    so a wrong axis shows in the shape); support and query embeddings require gradients."""
    generator = torch.Generator().manual_seed(seed)
    centres = 1.5 * torch.randn(n_way, features, generator=generator)

    def draw(per_class: int) -> tuple[Tensor, Tensor]:
        labels = torch.arange(n_way).repeat_interleave(per_class)
        labels = labels[torch.randperm(len(labels), generator=generator)]
        points = centres[labels] + torch.randn(len(labels), features, generator=generator)
        return points.requires_grad_(True), labels

    support, y_support = draw(shots)
    query, y_query = draw(queries)
    return Episode(support, y_support, query, y_query, n_way, shots)


def _grads(value: Tensor, inputs: list[Tensor], weights: Tensor | None = None) -> list[Tensor | None]:
    """d(Σ weights · value)/d inputs (None where ``value`` does not depend on an input)."""
    total = value.sum() if weights is None else (value * weights).sum()
    return list(torch.autograd.grad(total, inputs, allow_unused=True, retain_graph=True))


def _fixed_weights(shape: tuple[int, ...], seed: int = 99) -> Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _first_match(got: Tensor, known: list[tuple[Tensor, str]], atol: float = 1e-5) -> None:
    """Raise the hint of the first mistake model ``got`` equals."""
    for want, hint in known:
        if want.shape == got.shape and close(got, want, atol=atol):
            raise Hint(hint)


# --- exercise 1: the prototypes -----------------------------------------------------------------------------------

def check_prototypes(prototypes: Any) -> None:
    """The student's ``prototypes(support, y_support, n_way)``: the class means of eq. 1, [N, F], differentiable."""
    function = student_function(prototypes, "prototypes", ("support", "y_support", "n_way"))
    for seed, sizes in ((0, (3, 2)), (1, (4, 3))):  # two episodes: no size can be hard-coded
        episode = fixed_episode(seed, *sizes)
        _check_prototypes_on(function, episode)


def _check_prototypes_on(function: Callable[..., Any], episode: Episode) -> None:
    support, labels, n, k = episode.support, episode.y_support, episode.n_way, episode.shots
    s, width = support.shape
    got = call(function, "prototypes", support, labels, n)
    shape = tuple(got.shape) if isinstance(got, Tensor) else None
    expected = f"expected ({n}, {width}): one prototype of {width} numbers per class"
    if shape == (n, k):
        raise Hint(f"the prototypes have shape {shape}, {expected}. You averaged over the wrong axis, the features: "
                   "average each class's embeddings over its examples (dim 0)")
    if shape == (k, width):
        raise Hint(f"the prototypes have shape {shape}, {expected}. You averaged over the classes: average over the "
                   "examples of each class")
    if shape in ((width,), (1, width)):
        raise Hint(f"the prototypes have shape {shape}, {expected}. This is one mean of the whole support set: the "
                   "prototypes are not class means; average only the embeddings with label k, for every k")
    if shape == (s, width):
        raise Hint(f"the prototypes have shape {shape}, one row per support example; {expected}: average the "
                   "embeddings of each class")
    got = expect_tensor(got, "prototypes(support, y_support, n_way)", (n, width))
    want = reference_prototypes(support, labels, n)
    if not close(got, want):
        sums = class_sums(support[None], labels[None], n)[0]
        by_position = [support.detach().view(n, k, width).mean(1), support.detach().view(k, n, width).mean(0)]
        _first_match(got, [
            (sums, f"the prototypes are not class means: they are the sums of each class's embeddings (eq. 1 divides "
                   f"by |S_k|, the {k} examples of the class): use .mean(0), not .sum(0)"),
            (sums / s, f"the prototypes are not class means: each class's sum is divided by all {s} support examples; "
                       f"divide by |S_k|, the {k} examples of class k"),
            (support.mean(0).expand(n, width), "the prototypes are not class means: every prototype is the mean of "
                                               "the whole support set. Average only the embeddings with label k"),
            *[(p, "the prototypes are not class means: you grouped the support examples by their position, as if "
                  "the support set were sorted by class. The labels say which class each example belongs to: "
                  "average support[y_support == k] for every k") for p in by_position],
        ])
        raise Hint(f"the prototypes are not class means (largest difference {largest_difference(got, want):.2g}): "
                   f"{EQ1}; for every class k in 0..n_way−1, average the rows of support whose label is k")
    if not got.requires_grad:
        raise Hint("the prototypes are cut off from the embeddings (.detach(), .item(), numpy or torch.no_grad()): "
                   "meta-training must send the loss's gradient through them to the network")
    weights = _fixed_weights(tuple(want.shape))
    if not close(_grads(got, [support], weights), _grads(want, [support], weights)):
        raise Hint("the prototypes have the right values, but the gradient through them differs from the class "
                   f"means': compute them from the support embeddings with differentiable tensor operations ({EQ1})")


# --- exercise 2: the loss --------------------------------------------------------------------------------------------

def _as_loss(value: Any, n_queries: int, n_way: int) -> Tensor:
    """The student's loss as a scalar tensor, or a ``Hint`` saying what it is instead."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise Hint("the loss is a plain number: return the tensor itself (no .item() or float()), so that autograd "
                   "can differentiate it")
    if not isinstance(value, Tensor):
        raise Hint(f"the loss should be a tensor holding one number, got a {type(value).__name__}")
    shape = tuple(value.shape)
    if shape in ((n_queries,), (n_queries, 1)):
        raise Hint(f"the loss has shape {shape}: one loss per query. The training loss is their mean: one number")
    if shape in ((n_queries, n_way), (n_way, n_queries)):
        raise Hint(f"the loss has shape {shape}, one number per query and class (logits or probabilities?): the loss "
                   "is −log p of each query's own class, averaged over the queries: one number")
    if value.numel() != 1:
        raise Hint(f"the loss has shape {shape}; it should be one number (a tensor of shape ())")
    if not torch.is_floating_point(value):
        raise Hint(f"the loss holds {value.dtype} values; it should be a float")
    return value.reshape(())


def check_protonet_loss(protonet_loss: Any) -> None:
    """The student's ``protonet_loss(query, y_query, c)``: the mean over the queries of −log p(y | x) under eq. 2."""
    function = student_function(protonet_loss, "protonet_loss", ("query", "y_query", "c"))
    episode = fixed_episode(2, n_way=3, shots=2, queries=4)
    query, labels, n = episode.query, episode.y_query, episode.n_way
    c = reference_prototypes(episode.support, episode.y_support, n).detach().requires_grad_(True)
    got = _as_loss(call(function, "protonet_loss", query, labels, c), len(labels), n)
    want = reference_loss(query, labels, c)
    if not close(got, want):
        d2 = -reference_logits(query, c)  # [Q, N] squared distances
        d = d2.sqrt()
        ce = F.cross_entropy
        sorted_labels = torch.arange(n).repeat_interleave(len(labels) // n)
        cosine = F.normalize(query, dim=-1) @ F.normalize(c, dim=-1).T
        sign = "the sign is wrong: your softmax is over +d, so the farthest prototype gets the largest probability"
        not_squared = ("the distance is not squared: eq. 2 uses the squared Euclidean distance ‖f(x) − c_k‖², the "
                       "sum of the squared differences (torch.cdist and .norm() give its square root)")
        wrong_labels = ("the labels are not the episode's: the loss must be −log p of each query's own label, "
                        "y_query (the queries are in no particular order)")
        _first_match(got, [
            (ce(-d, labels), not_squared),
            (ce(d2, labels), sign + ". p(y = k | x) ∝ exp(−d(f(x), c_k)): use −d as the logits"),
            (ce(d, labels), f"{sign}; and the distance is not squared: eq. 2 uses ‖f(x) − c_k‖²"),
            (ce(-d2, labels, reduction="sum"), f"the loss is the sum over the {len(labels)} queries: average it "
                                               "(the mean of −log p over the queries)"),
            (-want, "the loss has the wrong sign: it is log p of the true class; the loss is −log p"),
            (ce((-d2).softmax(-1), labels), "the softmax is applied twice: F.cross_entropy takes the logits −d "
                                            "themselves and applies the (log-)softmax on its own"),
            (-(-d2).softmax(-1).gather(1, labels[:, None]).mean(), "the loss is −p, not −log p: take the log of the "
                                                                   "probability (F.cross_entropy on the logits −d)"),
            (ce(-d2, sorted_labels), wrong_labels),
            (ce(-d2, torch.arange(len(labels)) % n), wrong_labels),
            (ce(-d2, d2.argmin(-1)), wrong_labels + "; yours scores each query's nearest prototype instead"),
            (-(-d2).log_softmax(-1).mean(), wrong_labels + "; yours averages −log p over every class"),
            (ce(cosine, labels), "this is a softmax over cosine similarities: eq. 2 uses the negative squared "
                                 "Euclidean distance −‖f(x) − c_k‖²"),
        ])
        shuffled = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(5))]
        if not torch.equal(shuffled, labels):
            other = _as_loss(call(function, "protonet_loss", query, shuffled, c), len(labels), n)
            if close(other, got) and not close(reference_loss(query, shuffled, c), want):
                raise Hint(wrong_labels + "; yours gives the same loss whatever y_query is")
        raise Hint(f"the loss is {float(got):.4g}, eq. 2 gives {float(want):.4g}: {EQ2}. F.cross_entropy(logits, "
                   "y_query) with logits −‖f(x) − c_k‖² computes it")
    if not got.requires_grad:
        raise Hint("the loss is cut off from the embeddings (.detach(), numpy or torch.no_grad()): meta-training "
                   "needs its gradient")
    through = _grads(got, [query, c])
    if through[1] is None or not close(through[1], _grads(want, [c])[0]):
        raise Hint("the loss has the right value, but no gradient (or a wrong one) reaches the prototypes c: compute "
                   "it from c itself, without .detach()")
    if through[0] is None or not close(through[0], _grads(want, [query])[0]):
        raise Hint("the loss has the right value, but no gradient (or a wrong one) reaches the query embeddings: "
                   "compute it from query itself, without .detach()")


# --- exercise 3: Matching Networks' attention --------------------------------------------------------------------------

def check_cosine_attention(cosine_attention: Any) -> None:
    """The student's ``cosine_attention(query, support)``: a [Q, S], softmax over the support images of cosines."""
    function = student_function(cosine_attention, "cosine_attention", ("query", "support"))
    episode = fixed_episode(3, n_way=3, shots=2, queries=4)
    query, support = episode.query, episode.support
    q, s = len(query), len(support)
    got = call(function, "cosine_attention", query, support)
    if isinstance(got, Tensor) and tuple(got.shape) == (s, q):
        raise Hint(f"the attention has shape {(s, q)}, expected {(q, s)}: one row per query, one column per support "
                   "image (you transposed it)")
    got = expect_tensor(got, "cosine_attention(query, support)", (q, s))
    want = reference_attention(query, support)
    if not close(got, want):
        dots = query @ support.T
        cosines = F.normalize(query, dim=-1) @ F.normalize(support, dim=-1).T
        wrong_axis = ("the softmax is over the wrong axis: yours makes each support image's column sum to 1 over the "
                      "queries. Each query's attention is a distribution over the support images: softmax over the "
                      "last axis (dim=-1)")
        dot_product = ("this is a softmax of dot products, not of cosine similarities: normalise both embeddings to "
                       "length 1 first (F.normalize(x, dim=-1)), or use F.cosine_similarity")
        least_similar = ("your attention prefers the least similar support images: it is a softmax of −cos (or of the "
                         "cosine distance 1 − cos); eq. 2 is a softmax of +cos")
        _first_match(got, [
            (cosines.softmax(0), wrong_axis),
            (dots.softmax(-1), dot_product),
            (dots.softmax(0), f"{wrong_axis}; and it is a softmax of dot products: eq. 2 uses cosine similarities "
                              "(normalise both embeddings to length 1 first)"),
            (cosines, "these are the cosines themselves: eq. 2 turns them into attention weights with a softmax over "
                      "the support images"),
            ((-cosines).softmax(-1), least_similar),
            ((1 - cosines).softmax(-1), least_similar),
            ((F.normalize(query, dim=0) @ F.normalize(support, dim=0).T).softmax(-1),
             "the embeddings are normalised along the wrong axis: normalise each embedding (each row) to length 1, "
             "F.normalize(x, dim=-1)"),
            (cosines.flatten().softmax(0).view(q, s), "the softmax runs over every entry of the matrix at once: each "
                                                      "query's row must sum to 1 (softmax over dim=-1)"),
            ((-squared_distances(query[None], support[None])[0]).softmax(-1),
             "this is a softmax over negative squared distances (a Prototypical Network's kernel): Matching Networks "
             "use the cosine similarity"),
        ])
        rows = got.detach().sum(-1)
        if not torch.allclose(rows, torch.ones(q), atol=1e-4):
            raise Hint(f"each query's attention should sum to 1 over the {s} support images (a softmax over them); "
                       f"yours sums to {float(rows.min()):.3g}..{float(rows.max()):.3g}: {ATTENTION}")
        raise Hint(f"the attention differs from eq. 2 (largest difference {largest_difference(got, want):.2g}): "
                   f"{ATTENTION}")
    if not got.requires_grad:
        raise Hint("the attention is cut off from the embeddings (.detach(), numpy or torch.no_grad()): training "
                   "needs its gradient")
    weights = _fixed_weights((q, s))
    if not close(_grads(got, [query, support], weights), _grads(want, [query, support], weights)):
        raise Hint("the attention has the right values, but its gradient differs from eq. 2's: compute it from "
                   "query and support with differentiable tensor operations")


# --- exercise 4: the vote of the support labels ----------------------------------------------------------------

def check_matching_probabilities(matching_probabilities: Any) -> None:
    """The student's ``matching_probabilities(attention, y_support, n_way)``: ŷ [Q, N] = attention @ one-hot."""
    function = student_function(matching_probabilities, "matching_probabilities", ("attention", "y_support", "n_way"))
    episode = fixed_episode(4, n_way=3, shots=2, queries=4)
    labels, n, k = episode.y_support, episode.n_way, episode.shots
    attention = reference_attention(episode.query, episode.support).detach().requires_grad_(True)
    q, s = attention.shape
    got = call(function, "matching_probabilities", attention, labels, n)
    shape = tuple(got.shape) if isinstance(got, Tensor) else None
    one_hot_hint = ("the one-hot labels are missing: Σ_i a_i y_i with the labels as numbers averages the label "
                    "indices. Make each label a one-hot vector of length n_way (F.one_hot(y_support, n_way).float()) "
                    "and take the attention-weighted sum of those")
    if shape in ((q,), (q, 1)):
        raise Hint(f"ŷ has shape {shape}, expected {(q, n)}: one probability per class. {one_hot_hint[0].upper()}"
                   f"{one_hot_hint[1:]}")
    if shape == (q, s):
        raise Hint(f"ŷ has shape {shape}: this is still the attention over the {s} support images. Eq. 1 adds up the "
                   f"attention of each class's images, giving {(q, n)}: attention @ one-hot labels")
    if shape == (n, q):
        raise Hint(f"ŷ has shape {shape}, expected {(q, n)}: one row per query (you transposed it)")
    got = expect_tensor(got, "matching_probabilities(attention, y_support, n_way)", (q, n))
    want = reference_probabilities(attention, labels, n)
    if not close(got, want):
        a = attention.detach()
        by_position = ("ŷ does not follow y_support: you grouped the support images by position, as if the support set "
                       "were sorted by class. Sum the attention of the images whose label is k (one-hot labels do it)")
        _first_match(got, [
            (one_hot(labels[a.argmax(-1)], n), "this is the one-hot label of the single most attended support image: "
                                               "eq. 1 adds the attention of every support image of each class"),
            (a.view(q, n, k).sum(-1), by_position),
            (a.view(q, k, n).sum(1), by_position),
            (want / k, f"ŷ averages each class's attention over its {k} images: eq. 1 sums it, so that each row is a "
                       "probability distribution over the classes"),
            (want.softmax(-1), "a softmax is applied to ŷ: the attention is already a softmax, and its weighted sum "
                               "of one-hot labels is already a distribution over the classes"),
        ])
        raise Hint(f"ŷ differs from eq. 1 (largest difference {largest_difference(got, want):.2g}): {VOTE}")
    if not got.requires_grad:
        raise Hint("ŷ is cut off from the attention (.detach(), numpy or torch.no_grad()): training needs its gradient")


# --- the student's ProtoNet, trained ---------------------------------------------------------------------------

@dataclass
class ProtoRace(Race):
    """A race whose agreement is judged step by step on the same network: ``reference`` holds, for every
    meta-iteration, mlkit's loss on the embeddings the student's network computed (mlkit's eqs. 1-2 at the student's
    weights). ``student`` and ``mlkit`` are the two training runs, as in every race."""

    reference: list[float] = field(default_factory=list)

    @property
    def equation_difference(self) -> float:
        """max over meta-iterations of |student − mlkit's loss on the same embeddings| / |that loss|."""
        if self.error is not None or len(self.reference) != len(self.mlkit) or not self.mlkit:
            return math.inf
        return max(abs(s - r) / max(abs(r), 1e-12) for s, r in zip(self.student, self.reference))

    def agree(self, tolerance: float = TOLERANCE) -> bool:
        return self.equation_difference <= tolerance

    def report(self) -> str:
        n = len(self.mlkit)
        if self.error is not None:
            return (f"your {self.label} stopped after {len(self.student)} of {n} meta-iterations: {self.error}\n"
                    f"mlkit's {self.label} trained alone; fix the exercises above (their checks say more) and run "
                    "this cell again")
        runs = self.largest_difference
        apart = ("the same numbers, up to float rounding" if runs <= TOLERANCE else
                 "they part slowly: your code rounds differently from mlkit's (summing in another order), and "
                 "training a ConvNet amplifies rounding differences step by step")
        return (f"your {self.label} and mlkit's, same seed, same {n} episodes: at every meta-iteration your loss "
                f"equals mlkit's on the same network and episode within a relative {TOLERANCE:g}: {self.agree()}\n"
                f"the two training runs differ by at most ≈{runs:.1e} (relative): {apart}\n"
                f"mlkit's {self.label} ran ≈{self.speedup:.1f}× as fast as yours")


def race_protonet(prototypes: Any, protonet_loss: Any, steps: int = 60, seed: int = 0,
                  progress: bool = True) -> ProtoRace:
    """Meta-train the student's Prototypical Network (their ``prototypes`` and ``protonet_loss`` over mlkit's ConvNet
    embedding) and mlkit's ``ProtoNet`` from the same initial weights (``build_metric("protonet", seed)``) on the
    same ``steps`` training episodes (``training_episodes(seed)``: 20-way 1-shot, 5 queries per class), each with
    the optimiser and step of ``mlkit.train`` (Adam, 1e-3). Never raises for a mistake in the student's code."""
    from mlkit.live.metric import build_metric, training_episodes

    steps = check_int("steps", steps, 1)
    meta = build_metric("protonet", seed).train()
    learner = copy.deepcopy(meta.learner)  # the student's network: the same initial weights
    student_optimizer = torch.optim.Adam(list(learner.parameters()), lr=meta.meta_lr, fused=True)
    mlkit_optimizer, _ = meta.configure_optimizer(steps)
    episodes = training_episodes(seed)
    batches = [episodes.sample() for _ in range(steps)]
    functions = {}
    for name, function, parameters in (("prototypes", prototypes, ("support", "y_support", "n_way")),
                                       ("protonet_loss", protonet_loss, ("query", "y_query", "c"))):
        try:
            functions[name] = student_function(function, name, parameters)
        except Hint as hint:
            functions[name] = hint
    reference: list[float] = []

    def student_step(batch: TaskBatch) -> float:
        for hint in functions.values():
            if isinstance(hint, Hint):
                raise hint
        s, n_way = batch.x_support.shape[1], int(batch.y_support.max()) + 1
        losses, references = [], []
        for t in range(batch.n_tasks):  # one episode at a time, through the student's two functions
            features = learner.embed(torch.cat([batch.x_support[t:t + 1], batch.x_query[t:t + 1]], dim=1))[0]
            support, query = features[:s], features[s:]  # [S, F], [Q, F]
            c = call(functions["prototypes"], "prototypes", support, batch.y_support[t], n_way)
            if not isinstance(c, Tensor) or tuple(c.shape) != (n_way, support.shape[1]):
                raise Hint(f"your prototypes gave {tuple(c.shape) if isinstance(c, Tensor) else type(c).__name__} "
                           f"for a {n_way}-way episode, expected ({n_way}, {support.shape[1]}): see its check")
            loss = call(functions["protonet_loss"], "protonet_loss", query, batch.y_query[t], c)
            if not isinstance(loss, Tensor) or loss.numel() != 1 or not loss.requires_grad:
                raise Hint("your protonet_loss did not return one number autograd can differentiate: see its check")
            losses.append(loss.reshape(()))
            with torch.no_grad():
                references.append(reference_loss(query, batch.y_query[t],
                                                 reference_prototypes(support, batch.y_support[t], n_way)))
        reference.append(float(torch.stack(references).mean()))
        return descend(torch.stack(losses).mean(), student_optimizer)

    def mlkit_step(batch: TaskBatch) -> float:
        return descend(meta.meta_loss(batch), mlkit_optimizer, meta.clip_gradients)

    result = race("ProtoNet", student_step, mlkit_step, batches, progress=progress)
    return ProtoRace(**{name: getattr(result, name) for name in Race.__dataclass_fields__},
                     reference=reference[:len(result.student)])


def matching_with_yours(cosine_attention: Any, matching_probabilities: Any, meta: Any, batch: TaskBatch) -> str:
    """One line: the student's ``cosine_attention`` and ``matching_probabilities`` on the embeddings a trained
    ``MatchingNet`` (simple embedding) computes for the first episode of ``batch``, against that network's own class
    probabilities. Never raises for a mistake in the student's code."""
    from mlkit.meta.metric import check_labels

    with torch.no_grad():
        support, query = meta.embed_episode(batch.x_support[:1], batch.x_query[:1])  # [1, S, F], [1, Q, F]
        n_way = check_labels("y_support", batch.y_support[:1], batch.x_support[:1])
        want = meta.class_scores(support, batch.y_support[:1], query, n_way)[0]  # [Q, N]
        try:
            attention = call(student_function(cosine_attention, "cosine_attention", ("query", "support")),
                             "cosine_attention", query[0], support[0])
            got = call(student_function(matching_probabilities, "matching_probabilities",
                                        ("attention", "y_support", "n_way")),
                       "matching_probabilities", attention, batch.y_support[0], n_way)
            got = expect_tensor(got, "your ŷ", tuple(want.shape))
        except Hint as hint:
            return f"your Matching Network could not run on this episode: {hint}"
    return (f"your cosine_attention and matching_probabilities on the trained network's embeddings of this episode "
            f"give its class probabilities (within 1e-5): {close(got, want, atol=1e-5)} (largest difference "
            f"≈{largest_difference(got, want):.0e})")
