"""mlkit/exercises/episodes.py: notebook 00's checks accept an episode cut by hand, the pixel nearest neighbour and
the scoring loop as the notebook states them, and name each realistic mistake; the student's loop scores test
episodes exactly as mlkit's evaluation does."""
from __future__ import annotations

import math

import pytest
import torch

from mlkit.exercises import Exercises, episodes
from mlkit.exercises.feedback import Hint


# --- the teacher's solutions (as in the notebook) -------------------------------------------------------------

def split_episode(x, y, classes, k_shot, *, swap=False, keep_ids=False, interleave=True, first_n=False,
                  overlap=False, reverse=False):
    xs, ys, xq, yq = [], [], [], []
    if first_n:  # the first N·K examples of the pool, whatever their class
        n = len(classes) * k_shot
        label = {c: i for i, c in enumerate(classes)}
        return x[:n], torch.tensor([label[int(c)] for c in y[:n]]), x[n:], torch.tensor([label[int(c)] for c in y[n:]])
    order = list(enumerate(classes))
    for label, c in order:
        examples = x[y == c]
        name = (len(classes) - 1 - label) if reverse else (c if keep_ids else label)
        xs.append(examples[:k_shot])
        xq.append(examples[k_shot - 1:-1] if overlap else examples[k_shot:])  # overlap: shifted by one
        ys += [name] * k_shot
        yq += [name] * (len(examples) - k_shot)
    out = torch.cat(xs), torch.tensor(ys), torch.cat(xq), torch.tensor(yq)
    if not interleave:
        out = out[0], torch.arange(len(classes)).repeat(k_shot), out[2], out[3]
    return (out[2], out[3], out[0], out[1]) if swap else out


def nearest_neighbour(x_support, y_support, x_query):
    labels = []
    for query in x_query:
        distances = ((x_support - query) ** 2).flatten(1).sum(1).sqrt()
        labels.append(y_support[distances.argmin()])
    return torch.stack(labels)


def score(predict, episodes, *, ddof=0, z=1.96, root=True, percent=False, first_only=False, pooled=False):
    accuracies, answers = [], []
    for t in range(1 if first_only else episodes.n_tasks):
        predicted = predict(episodes.x_support[t], episodes.y_support[t], episodes.x_query[t])
        right = (predicted == episodes.y_query[t]).float()
        answers.append(right)
        accuracies.append(right.mean())
    values = torch.cat(answers) if pooled else torch.stack(accuracies)
    mean = torch.stack(accuracies).mean()
    ci = z * values.std(unbiased=bool(ddof)) / (math.sqrt(len(values)) if root else 1.0)
    scale = 100 if percent else 1
    return scale * mean.item(), scale * ci.item()


def hint(check, function) -> str:
    with pytest.raises(Hint) as raised:
        check(function)
    return str(raised.value)


def test_the_teachers_solutions_pass() -> None:
    episodes.check_split_episode(split_episode)
    episodes.check_nearest_neighbour(nearest_neighbour)
    episodes.check_score(score)


def test_the_checks_go_through_otter_and_say_passed() -> None:
    exercises = Exercises("00_welcome")
    assert exercises.names == ["nearest_neighbour", "score", "split_episode"]
    env = {"split_episode": split_episode, "nearest_neighbour": nearest_neighbour, "score": score}
    for name in exercises.names:
        assert repr(exercises.check(name, env)) == f"✓ {name}: passed"
    result = exercises.check("score", {"score": lambda predict, episodes: (0.5, 0.1)})
    assert not result.passed and "never called predict" in result.hints[0]


@pytest.mark.parametrize("wrong, words", [
    (lambda x, y, c, k: split_episode(x, y, c, k, swap=True), "support and query are swapped"),
    (lambda x, y, c, k: split_episode(x, y, c, k, keep_ids=True), "dataset's class ids"),
    (lambda x, y, c, k: split_episode(x, y, c, k, overlap=True), "labels leaked into the query set"),
    (lambda x, y, c, k: split_episode(x, y, c, k, first_n=True), "every class should appear K = 2 times"),
    (lambda x, y, c, k: split_episode(x, y, c, k, interleave=False), "repeat_interleave"),
    (lambda x, y, c, k: split_episode(x, y, c, k, reverse=True), "label i stands for classes[i]"),
    (lambda x, y, c, k: split_episode(x, y, c, 2), "K = 3"),  # works for the first pool only: K hard-coded
    (lambda x, y, c, k: (x[:k], y[:k], x[k:], y[k:]), "EACH of the N = 4 classes"),
    (lambda x, y, c, k: split_episode(x, y, c, k)[:2], "four tensors"),
    (lambda x, y, c, k: tuple(t.float() if i % 2 else t for i, t in enumerate(split_episode(x, y, c, k))),
     "labels are whole numbers"),
    (lambda x, y, c, k: (lambda s: (s[0] / 2, *s[1:]))(split_episode(x, y, c, k)), "not among the examples"),
    (lambda x, y, c: None, "should take (x, y, classes, k_shot)"),
    (lambda x, y, c, k: ..., "still the stub"),
    (lambda x, y, c, k: (lambda s: (s[0], s[1], x, y))(split_episode(x, y, c, k)), "x_query holds all 20 examples"),
    (lambda x, y, c, k: x[y == c[k + 10]], "raised IndexError"),
])
def test_split_episode_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(episodes.check_split_episode, wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda xs, ys, xq: torch.cdist(xq.flatten(1), xs.flatten(1)).argmin(1), "positions of the nearest"),
    (lambda xs, ys, xq: ys[torch.cdist(xq.flatten(1), xs.flatten(1)).argmax(1)], "FARTHEST"),
    (lambda xs, ys, xq: torch.nn.functional.one_hot(nearest_neighbour(xs, ys, xq), 3).float(), "a score per query"),
    (lambda xs, ys, xq: nearest_neighbour(xs, ys, xq).float(), "whole numbers"),
    (lambda xs, ys, xq: ys[torch.nn.functional.cosine_similarity(
        xq.flatten(1).unsqueeze(1), xs.flatten(1).unsqueeze(0), dim=-1).argmin(1)], "Euclidean distance"),
    (lambda xs, ys, xq: ys[:1].expand(len(xq) - 1), "expected (12,)"),
    (lambda xs, ys, xq: None, "still the stub"),
])
def test_nearest_neighbour_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(episodes.check_nearest_neighbour, wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda p, e: score(p, e, ddof=1), "divides by n − 1"),
    (lambda p, e: score(p, e, z=1.0), "1.96 times too small"),
    (lambda p, e: score(p, e, root=False), "does not shrink"),
    (lambda p, e: score(p, e, pooled=True), "single query answers"),
    (lambda p, e: score(p, e, percent=True), "in percent"),
    (lambda p, e: score(p, e, first_only=True), "only the first episode"),
    (lambda p, e: tuple(12 * v for v in score(p, e)), "number of right answers"),
    (lambda p, e: score(p, e)[0], "two numbers"),
    (lambda p, e: (0.5, 0.1), "never called predict"),
    (lambda p, e: score(lambda xs, ys, xq: p(xq, ys, xs), e), "predict got x_support of shape (12, 1, 28, 28)"),
    (lambda p: 0, "should take (predict, episodes)"),
])
def test_score_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(episodes.check_score, wrong)


def test_the_students_loop_scores_test_episodes_as_mlkit_does() -> None:
    found = episodes.score_against_mlkit(score, nearest_neighbour, n_episodes=150)
    assert found.error is None and found.agree(), found.report()
    assert 0.4 < found.mlkit[0] < 0.95 and "the same numbers (within 1e-6): True" in found.report()
    broken = episodes.score_against_mlkit(score, lambda xs, ys, xq: None, n_episodes=100)
    assert broken.student is None and "still the stub" in broken.error and "run this cell again" in broken.report()
    assert broken.mlkit == episodes.score_against_mlkit(None, None, n_episodes=100).mlkit


def test_the_checks_leave_the_global_random_numbers_alone() -> None:
    torch.manual_seed(5)
    before = torch.random.get_rng_state()
    episodes.check_split_episode(split_episode)
    episodes.check_nearest_neighbour(nearest_neighbour)
    episodes.check_score(score)
    assert torch.equal(before, torch.random.get_rng_state())
