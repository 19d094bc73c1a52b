"""Checks of notebook 00's exercises: one episode cut by hand, and the loop that scores a baseline on episodes.

- ``check_split_episode``: ``split_episode(x, y, classes, k_shot)`` turns N classes × M labelled examples into an
  N-way K-shot episode (Vinyals et al. 2016, §2.2): K support examples of each class, the other M − K as queries,
  and the labels 0 … N−1 of the episode (label i for ``classes[i]``) in place of the dataset's class ids;
- ``check_nearest_neighbour``: ``nearest_neighbour(x_support, y_support, x_query)`` gives every query image the label
  of its nearest support image in pixel space (the pixel baseline of Lake, Salakhutdinov & Tenenbaum 2015);
- ``check_score``: ``score(predict, episodes)`` loops over episodes, scores each by its query accuracy, and returns
  the mean with its 95% interval 1.96·σ/√n over episodes (σ the population standard deviation, as in the evaluation
  code of Finn et al. 2017);
- ``score_against_mlkit``: the student's ``score(nearest_neighbour, ...)`` on test episodes of glyphs beside mlkit's
  batched evaluation of the same baseline (``mlkit.baselines.MethodFree("pixels")``) on the same episodes.

Every check works on fixed small inputs from its own seeded generator (the notebook's random numbers are left alone)
and names the mistakes it recognises.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
from torch import Tensor

from mlkit.checks import check_int
from mlkit.exercises.feedback import Hint, call, student_function
from mlkit.tasks.batch import TaskBatch

IMAGE = (1, 28, 28)  # the checks' images have the glyphs' shape
EPISODE = "an N-way K-shot episode (Vinyals et al. 2016, §2.2)"


# --- exercise 1: an episode by hand -------------------------------------------------------------------------

def fixed_pool(n_way: int = 4, per_class: int = 5, seed: int = 0) -> tuple[Tensor, Tensor, list[int]]:
    """N classes × M examples, shuffled: images x [N·M, 1, 28, 28], dataset class ids y [N·M], and the N class ids
    of the episode in label order (ids far from 0 … N−1, so that labels that were not re-indexed show)."""
    generator = torch.Generator().manual_seed(seed)
    classes = [812, 35, 1207, 400, 96, 1311][:n_way]
    x = torch.rand(n_way * per_class, *IMAGE, generator=generator)
    y = torch.tensor(classes).repeat_interleave(per_class)
    order = torch.randperm(len(y), generator=generator)
    return x[order], y[order], classes


def reference_split(x: Tensor, y: Tensor, classes: Sequence[int], k_shot: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """mlkit's episode: per class (in the order of ``classes``) its first K examples to the support set, the rest to
    the query set; label i for ``classes[i]``."""
    xs, ys, xq, yq = [], [], [], []
    for label, c in enumerate(classes):
        examples = x[y == c]
        xs.append(examples[:k_shot])
        xq.append(examples[k_shot:])
        ys += [label] * k_shot
        yq += [label] * (len(examples) - k_shot)
    return torch.cat(xs), torch.tensor(ys), torch.cat(xq), torch.tensor(yq)


def pool_index(images: Tensor, pool: Tensor) -> Tensor:
    """For every image, the index of the identical image in ``pool`` (-1 where there is none)."""
    same = (images.flatten(1).unsqueeze(1) == pool.flatten(1).unsqueeze(0)).all(-1)  # [n, pool]
    found = same.any(1)
    return torch.where(found, same.float().argmax(1), torch.full_like(found, -1, dtype=torch.long))


def _tensor(value: Any, what: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise Hint(f"{what} should be a tensor, got a {type(value).__name__}")
    return value


def _labels(value: Tensor, what: str, length: int) -> Tensor:
    if tuple(value.shape) != (length,):
        raise Hint(f"{what} has shape {tuple(value.shape)}, expected ({length},): one label per image")
    if torch.is_floating_point(value) or value.dtype == torch.bool:
        raise Hint(f"{what} holds {value.dtype} values: labels are whole numbers (torch.long), e.g. "
                   "torch.tensor(list_of_labels)")
    return value.long()


def _check_split(function: Callable[..., Any], n_way: int, per_class: int, k_shot: int, seed: int) -> None:
    x, y, classes = fixed_pool(n_way, per_class, seed)
    n_query = per_class - k_shot
    out = call(function, "split_episode", x.clone(), y.clone(), list(classes), k_shot)
    if not isinstance(out, (tuple, list)) or len(out) != 4:
        got = f"{len(out)} values" if isinstance(out, (tuple, list)) else f"a {type(out).__name__}"
        raise Hint(f"split_episode should return four tensors, x_support, y_support, x_query, y_query; got {got}")
    xs, ys, xq, yq = (_tensor(v, w) for v, w in zip(out, ("x_support", "y_support", "x_query", "y_query")))
    want_s, want_q = (n_way * k_shot, *IMAGE), (n_way * n_query, *IMAGE)
    setting = f"N = {n_way} classes, M = {per_class} examples each, K = {k_shot}"
    if k_shot != n_query and tuple(xs.shape) == want_q and tuple(xq.shape) == want_s:
        raise Hint(f"support and query are swapped ({setting}): the support set holds K examples of each class "
                   f"({n_way * k_shot} images), the query set the other M − K of each ({n_way * n_query} images)")
    if tuple(xs.shape) != want_s:
        if xs.shape[1:] == torch.Size(IMAGE) and xs.shape[0] == k_shot:
            raise Hint(f"x_support holds {k_shot} images: the support set holds K = {k_shot} examples of EACH of the "
                       f"N = {n_way} classes, {n_way * k_shot} images")
        raise Hint(f"x_support has shape {tuple(xs.shape)}, expected {want_s} ({setting}: N·K images of shape "
                   f"{IMAGE})")
    if tuple(xq.shape) != want_q:
        if xq.shape[0] == n_way * per_class:
            raise Hint(f"x_query holds all {n_way * per_class} examples, the support examples too, so the learner has "
                       "already seen the labels of some queries (labels leaked into the query set): the query set "
                       "holds only the M − K examples of each class that are not in the support set")
        raise Hint(f"x_query has shape {tuple(xq.shape)}, expected {want_q} ({setting}: the other M − K examples "
                   "of every class)")
    ys, yq = _labels(ys, "y_support", len(xs)), _labels(yq, "y_query", len(xq))
    given = set(ys.tolist()) | set(yq.tolist())
    if given <= set(classes) and not given <= set(range(n_way)):
        raise Hint(f"the labels are the dataset's class ids {sorted(given)}: an episode relabels its N classes "
                   f"0 … N−1, label i for classes[i] (label 0 for class {classes[0]}, label 1 for class {classes[1]}, "
                   "…), so that a label never means the same class twice")
    if not given <= set(range(n_way)):
        raise Hint(f"the labels should be 0 … {n_way - 1} (one per class of the episode), got {sorted(given)}")
    at_s, at_q = pool_index(xs, x), pool_index(xq, x)
    for where, at in (("x_support", at_s), ("x_query", at_q)):
        if (at < 0).any():
            raise Hint(f"{where} holds {int((at < 0).sum())} images that are not among the examples x: take the "
                       "images as they are (x[...]), without changing them")
        if len(set(at.tolist())) < len(at):
            raise Hint(f"{where} holds the same example more than once: every example goes to the episode once")
    both = set(at_s.tolist()) & set(at_q.tolist())
    if both:
        raise Hint(f"support and query overlap: {len(both)} query images are also support images, so the learner "
                   "has already seen their labels (labels leaked into the query set). Every example goes to exactly "
                   "one of the two sets")
    true_s, true_q = y[at_s], y[at_q]
    for c in classes:
        count = int((true_s == c).sum())
        if count != k_shot:
            raise Hint(f"every class should appear K = {k_shot} times in the support set; class {c} appears "
                       f"{count} times. Take K examples of each class, not the first N·K examples of x")
    label_of = {c: i for i, c in enumerate(classes)}
    right_s = torch.tensor([label_of[int(c)] for c in true_s])
    right_q = torch.tensor([label_of[int(c)] for c in true_q])
    if torch.equal(ys, right_s) and torch.equal(yq, right_q):
        return
    if torch.equal(ys, torch.arange(n_way).repeat(k_shot)) and not torch.equal(right_s, ys):
        raise Hint("the support labels run 0, 1, 2, …, 0, 1, 2, … (torch.arange(N).repeat(K)) while the support "
                   "images come class by class: label every image with its own class's label, e.g. "
                   "torch.arange(N).repeat_interleave(K)")
    pairs = set(zip(torch.cat([true_s, true_q]).tolist(), torch.cat([ys, yq]).tolist()))
    if len(pairs) == n_way and len({label for _, label in pairs}) == n_way:
        wrong = next((c, label) for c, label in sorted(pairs) if label != label_of[c])
        raise Hint(f"every class has one label, but not the asked one: label i stands for classes[i], so class "
                   f"{wrong[0]} gets label {label_of[wrong[0]]}; yours gave it label {wrong[1]}")
    where, index = ("y_support", int((ys != right_s).nonzero()[0])) if not torch.equal(ys, right_s) else (
        "y_query", int((yq != right_q).nonzero()[0]))
    image_class = int((true_s if where == "y_support" else true_q)[index])
    raise Hint(f"{where}[{index}] is {int((ys if where == 'y_support' else yq)[index])}, but that image is of class "
               f"{image_class}, whose label is {label_of[image_class]}: every image keeps its class's label")


def check_split_episode(split_episode: Any) -> None:
    """The student's ``split_episode(x, y, classes, k_shot)``: an episode of K support and M − K query examples per
    class, labelled 0 … N−1; tried on two pools (4 classes × 5 examples, K = 2; 3 × 4, K = 3)."""
    function = student_function(split_episode, "split_episode", ("x", "y", "classes", "k_shot"))
    _check_split(function, 4, 5, 2, seed=0)
    _check_split(function, 3, 4, 3, seed=1)


# --- exercise 2: the nearest-neighbour baseline ---------------------------------------------------------------

def fixed_episode(n_way: int = 3, k_shot: int = 2, n_query: int = 12, noise: float = 1.5,
                  seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One episode with the support set shuffled (so that a position is not a label): support images
    [N·K, 1, 28, 28] and queries [n_query, 1, 28, 28], each its class's random prototype plus Gaussian noise of
    standard deviation ``noise``, with their labels; the noise sends some queries nearer another class's image."""
    generator = torch.Generator().manual_seed(seed)
    prototypes = torch.rand(n_way, *IMAGE, generator=generator)
    y_support = torch.arange(n_way).repeat_interleave(k_shot)
    y_support = y_support[torch.randperm(len(y_support), generator=generator)]
    y_query = torch.randint(n_way, (n_query,), generator=generator)
    x_support = prototypes[y_support] + noise * torch.randn(len(y_support), *IMAGE, generator=generator)
    x_query = prototypes[y_query] + noise * torch.randn(n_query, *IMAGE, generator=generator)
    return x_support, y_support, x_query, y_query


def reference_nearest(x_support: Tensor, y_support: Tensor, x_query: Tensor) -> Tensor:
    """mlkit's pixel nearest neighbour for one episode: the label of the support image at the smallest Euclidean
    distance, for every query [Q]."""
    return y_support[torch.cdist(x_query.flatten(1), x_support.flatten(1)).argmin(1)]


def check_nearest_neighbour(nearest_neighbour: Any) -> None:
    """The student's ``nearest_neighbour(x_support, y_support, x_query)`` -> labels [Q] of the nearest support
    images (Euclidean distance between pixels), compared with mlkit's on a fixed episode."""
    function = student_function(nearest_neighbour, "nearest_neighbour", ("x_support", "y_support", "x_query"))
    x_support, y_support, x_query, _ = fixed_episode()
    got = call(function, "nearest_neighbour", x_support.clone(), y_support.clone(), x_query.clone())
    got = _tensor(got, "nearest_neighbour's result")
    q, n_way = len(x_query), int(y_support.max()) + 1
    if tuple(got.shape) == (q, n_way):
        raise Hint(f"the result has shape {tuple(got.shape)}, a score per query and class: return one label per "
                   f"query image, shape ({q},) (the label of the class with the best score, .argmax(1))")
    if tuple(got.shape) != (q,):
        raise Hint(f"the result has shape {tuple(got.shape)}, expected ({q},): one label per query image")
    if torch.is_floating_point(got):
        raise Hint(f"the result holds {got.dtype} values: labels are whole numbers, taken from y_support")
    distance = torch.cdist(x_query.flatten(1), x_support.flatten(1))  # [Q, S]
    want = y_support[distance.argmin(1)]
    if torch.equal(got.long(), want):
        return
    known = [
        (distance.argmin(1), "these are the positions of the nearest support images in x_support, not their labels: "
                             "return y_support at those positions"),
        (y_support[distance.argmax(1)], "every query took the label of the FARTHEST support image: the nearest one "
                                        "has the smallest distance (argmin)"),
    ]
    for labels, hint in known:
        if torch.equal(got.long(), labels):
            raise Hint(hint)
    wrong = int((got.long() != want).sum())
    raise Hint(f"{wrong} of {q} queries got another label than their nearest support image's: the distance between "
               "two images is the Euclidean distance between their pixels, ‖a − b‖ = sqrt(Σ (a − b)²), taken to every "
               "support image; the query gets the label of the closest")


# --- exercise 3: the loop that scores a baseline ----------------------------------------------------------------

def fixed_episodes(n_episodes: int = 7, seed: int = 0) -> TaskBatch:
    """``n_episodes`` fixed 3-way 2-shot episodes with 12 queries each (``fixed_episode``), as one ``TaskBatch``."""
    parts = [fixed_episode(seed=seed + 100 + t) for t in range(n_episodes)]
    return TaskBatch(*(torch.stack([p[i] for p in parts]) for i in range(4)))


class CheckedBaseline:
    """A baseline handed to the student's ``score``: mlkit's nearest neighbour, with its inputs checked so that a
    call with the episode's tensors mixed up is named."""

    def __init__(self, episodes: TaskBatch) -> None:
        self.episodes = episodes
        self.calls = 0

    def __call__(self, x_support: Tensor, y_support: Tensor, x_query: Tensor) -> Tensor:
        s, q = self.episodes.x_support.shape[1], self.episodes.x_query.shape[1]
        expected = ((s, *IMAGE), (s,), (q, *IMAGE))
        for value, what, shape in zip((x_support, y_support, x_query), ("x_support", "y_support", "x_query"),
                                      expected):
            if not isinstance(value, Tensor) or tuple(value.shape) != shape:
                got = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
                raise ValueError(f"predict got {what} of shape {got}, expected {shape}: call predict(episodes."
                                 "x_support[t], episodes.y_support[t], episodes.x_query[t]) for episode t")
        self.calls += 1
        return reference_nearest(x_support, y_support, x_query)


def episode_accuracies(episodes: TaskBatch, predict: Callable[[Tensor, Tensor, Tensor], Tensor] = reference_nearest
                       ) -> Tensor:
    """The query accuracy of ``predict`` on every episode, [T] (float64)."""
    return torch.stack([(predict(episodes.x_support[t], episodes.y_support[t], episodes.x_query[t])
                         == episodes.y_query[t]).double().mean() for t in range(episodes.n_tasks)])


def interval(values: Tensor, unbiased: bool = False) -> tuple[float, float]:
    """(mean, 1.96·σ/√n) of per-episode values; σ the population standard deviation unless ``unbiased``."""
    return float(values.mean()), float(1.96 * values.std(unbiased=unbiased) / math.sqrt(len(values)))


def _two_numbers(value: Any) -> tuple[float, float]:
    if hasattr(value, "mean") and hasattr(value, "ci95") and not isinstance(value, Tensor):
        value = (value.mean, value.ci95)
    if isinstance(value, Tensor) and value.numel() == 2:
        value = tuple(value.flatten().tolist())
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise Hint(f"score should return two numbers, the mean accuracy and its 95% interval (mean, ci95); got "
                   f"{type(value).__name__}" + (f" of length {len(value)}" if hasattr(value, "__len__") else ""))
    try:
        return float(value[0]), float(value[1])
    except (TypeError, ValueError, RuntimeError):
        raise Hint("score should return two numbers (floats), the mean accuracy and its 95% interval") from None


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 + 1e-5 * abs(b)


def check_score(score: Any) -> None:
    """The student's ``score(predict, episodes)`` -> (mean, ci95) of the per-episode query accuracies of ``predict``
    over the episodes of a ``TaskBatch``, on 7 fixed episodes scored by mlkit's nearest neighbour."""
    function = student_function(score, "score", ("predict", "episodes"))
    episodes = fixed_episodes()
    predict = CheckedBaseline(episodes)
    mean, ci = _two_numbers(call(function, "score", predict, episodes))
    accuracies = episode_accuracies(episodes)
    want_mean, want_ci = interval(accuracies)
    t, q = episodes.n_tasks, episodes.x_query.shape[1]
    if predict.calls == 0:
        raise Hint("score never called predict: call predict(x_support, y_support, x_query) for every episode and "
                   "compare its labels with the episode's y_query")
    if not _near(mean, want_mean):
        if _near(mean, 100 * want_mean):
            raise Hint("the mean is in percent: return accuracies as fractions (0.68 for 68 %)")
        if _near(mean, want_mean * q):
            raise Hint(f"the mean is the number of right answers per episode: the accuracy is that number divided "
                       f"by the {q} queries")
        if _near(mean, float(accuracies[0])) or predict.calls == 1:
            raise Hint(f"only the first episode was scored: loop over all {t} episodes (range(episodes.n_tasks))")
        raise Hint(f"the mean accuracy is {mean:.4g}, expected {want_mean:.4g}: for each episode the fraction of "
                   "queries whose predicted label equals y_query, then the mean over the episodes")
    if _near(ci, want_ci):
        return
    pooled = torch.cat([(reference_nearest(episodes.x_support[i], episodes.y_support[i], episodes.x_query[i])
                         == episodes.y_query[i]).double() for i in range(t)])
    sigma = float(accuracies.std(unbiased=False))
    known = [
        (interval(accuracies, unbiased=True)[1], "the interval divides by n − 1 (torch's default .std()); the "
         "papers' evaluation code takes the population standard deviation, which divides by n: "
         ".std(unbiased=False), or np.std"),
        (sigma / math.sqrt(t), "the interval is 1.96 times too small: the 95% interval is 1.96·σ/√n"),
        (1.96 * sigma, f"the interval does not shrink with more episodes: divide 1.96·σ by √n, n = {t} episodes"),
        (1.96 * float(pooled.std(unbiased=False)) / math.sqrt(len(pooled)),
         "the interval is taken over single query answers; it is over episodes: σ is the standard deviation of "
         f"the {t} per-episode accuracies and n = {t}"),
        (100 * want_ci, "the interval is in percent: return fractions, like the mean"),
    ]
    for value, hint in known:
        if _near(ci, value):
            raise Hint(hint)
    raise Hint(f"the interval is {ci:.4g}, expected {want_ci:.4g}: 1.96·σ/√n, with σ the standard deviation "
               f"(divided by n) of the per-episode accuracies and n = {t} episodes")


# --- the student's loop beside mlkit's evaluation ---------------------------------------------------------------

@dataclass
class Scored:
    """The student's ``score(nearest_neighbour, episodes)`` and mlkit's evaluation of the pixel nearest neighbour
    on the same test episodes, with their run times."""

    n: int  # episodes
    mlkit: tuple[float, float]  # (mean, ci95)
    mlkit_seconds: float
    student: tuple[float, float] | None = None
    student_seconds: float = 0.0
    error: str | None = None  # why the student's run gave no score

    def agree(self) -> bool:
        return self.student is not None and all(abs(a - b) <= 1e-6 for a, b in zip(self.student, self.mlkit))

    def report(self) -> str:
        """Both scores, whether they are the same, and how much faster mlkit's batched evaluation ran ("≈")."""
        mlkit = f"{100 * self.mlkit[0]:.1f} ± {100 * self.mlkit[1]:.1f} %"
        if self.student is None:
            return (f"your score stopped: {self.error}\nmlkit's pixel nearest neighbour on {self.n} test episodes: "
                    f"{mlkit}; fix the exercises above (their checks say more) and run this cell again")
        yours = f"{100 * self.student[0]:.1f} ± {100 * self.student[1]:.1f} %"
        speedup = (self.student_seconds / self.mlkit_seconds) if self.mlkit_seconds > 0 else math.nan
        return (f"your nearest neighbour, scored by your loop on {self.n} test episodes: {yours}\n"
                f"mlkit's pixel nearest neighbour on the same episodes:       {mlkit}\n"
                f"the same numbers (within 1e-6): {self.agree()}; mlkit's batched evaluation ran ≈{speedup:.0f}× "
                "as fast as your loop")


def glyph_test_episodes(n_way: int = 5, k_shot: int = 1, q_query: int = 5, seed: int = 0):
    """The sampler of the live comparison: N-way K-shot episodes of the test glyphs (classes never seen in
    training), seeded."""
    from mlkit.tasks import EpisodeSampler, Glyphs

    return EpisodeSampler(Glyphs(split="test", seed=seed), n_way=n_way, k_shot=k_shot, q_query=q_query,
                          meta_batch=100, seed=seed)


def score_against_mlkit(score: Any, nearest_neighbour: Any, n_episodes: int = 600, n_way: int = 5, k_shot: int = 1,
                        q_query: int = 5, seed: int = 0) -> Scored:
    """The student's ``score(nearest_neighbour, episodes)`` on ``n_episodes`` test episodes of glyphs, and mlkit's
    ``evaluate`` of ``MethodFree("pixels")`` on the same episodes (drawn in blocks of 100, as ``evaluate`` draws
    them). Never raises for a mistake in the student's code: it is kept in ``Scored.error``."""
    from mlkit.baselines import MethodFree
    from mlkit.evaluate import DRAW_BLOCK, evaluate

    n_episodes = check_int("n_episodes", n_episodes, 2)
    sampler = glyph_test_episodes(n_way, k_shot, q_query, seed)
    start = time.perf_counter()
    found = evaluate(MethodFree("pixels"), sampler.reseeded(), n_tasks=n_episodes)
    result = Scored(n_episodes, (found.mean, found.ci95), time.perf_counter() - start)
    draws = sampler.reseeded()
    blocks = [draws.sample(min(DRAW_BLOCK, n_episodes - s)) for s in range(0, n_episodes, DRAW_BLOCK)]
    episodes = TaskBatch(*(torch.cat([getattr(b, name) for b in blocks]) for name in
                           ("x_support", "y_support", "x_query", "y_query")))
    try:
        scorer = student_function(score, "score", ("predict", "episodes"))
        nearest = student_function(nearest_neighbour, "nearest_neighbour", ("x_support", "y_support", "x_query"))
        predict = lambda *args: call(nearest, "nearest_neighbour", *args)  # noqa: E731 (its stub named as its own)
        start = time.perf_counter()
        result.student = _two_numbers(call(scorer, "score", predict, episodes))
        result.student_seconds = time.perf_counter() - start
    except Hint as hint:
        result.error = str(hint)
    return result


# --- the student's functions in the cells after the exercises ---------------------------------------------------

def your_episode(split_episode: Any, x: Tensor, y: Tensor, classes: Sequence[int], k_shot: int) -> TaskBatch:
    """The student's ``split_episode(x, y, classes, k_shot)`` as a one-episode ``TaskBatch`` (leading task
    dimension); while it is not ready, mlkit's split, with a one-line note, so that the cells after the exercise
    run either way."""
    classes = [int(c) for c in classes]
    try:
        function = student_function(split_episode, "split_episode", ("x", "y", "classes", "k_shot"))
        out = call(function, "split_episode", x, y, list(classes), k_shot)
        if not isinstance(out, (tuple, list)) or len(out) != 4 or not all(isinstance(v, Tensor) for v in out):
            raise Hint("it should return four tensors")
        xs, ys, xq, yq = out
        if len(xs) != len(ys) or len(xq) != len(yq) or xs.shape[1:] != x.shape[1:] or xq.shape[1:] != x.shape[1:]:
            raise Hint("its tensors do not fit together")
    except Hint as hint:
        print(f"your split_episode is not ready ({hint}); below is mlkit's episode")
        xs, ys, xq, yq = reference_split(x, y, classes, k_shot)
    return TaskBatch(xs[None], ys[None].long(), xq[None], yq[None].long())


def your_labels(nearest_neighbour: Any, episode: TaskBatch) -> Tensor:
    """The student's ``nearest_neighbour`` on the (first) episode of ``episode``: labels [Q]; while it is not
    ready, mlkit's, with a one-line note."""
    x_support, y_support, x_query = episode.x_support[0], episode.y_support[0], episode.x_query[0]
    try:
        function = student_function(nearest_neighbour, "nearest_neighbour", ("x_support", "y_support", "x_query"))
        labels = call(function, "nearest_neighbour", x_support, y_support, x_query)
        if not isinstance(labels, Tensor) or tuple(labels.shape) != (len(x_query),):
            raise Hint(f"it should return one label per query image, shape ({len(x_query)},)")
        return labels.long()
    except Hint as hint:
        print(f"your nearest_neighbour is not ready ({hint}); below are mlkit's labels")
        return reference_nearest(x_support, y_support, x_query)
