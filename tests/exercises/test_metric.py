"""mlkit/exercises/metric.py: notebook 07's checks accept a Prototypical Network and Matching Networks' attention as
Snell et al. (2017) and Vinyals et al. (2016) write them, in the forms students write them, and name each realistic
mistake; the student's ProtoNet races mlkit's to the same numbers."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mlkit.exercises import Exercises, metric
from mlkit.exercises.feedback import Hint


# --- the teacher's solutions (as in the notebook) and other correct forms ------------------------------------------

def prototypes(support, y_support, n_way):
    return torch.stack([support[y_support == k].mean(0) for k in range(n_way)])


def protonet_loss(query, y_query, c):
    d = ((query[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    return F.cross_entropy(-d, y_query)


def cosine_attention(query, support):
    return (F.normalize(query, dim=-1) @ F.normalize(support, dim=-1).T).softmax(dim=-1)


def matching_probabilities(attention, y_support, n_way):
    return attention @ F.one_hot(y_support, n_way).float()


def prototypes_by_one_hot(support, y_support, n_way):
    labels = F.one_hot(y_support, n_way).float()
    return labels.T @ support / labels.sum(0)[:, None]


def prototypes_in_place(support, y_support, n_way):
    c = torch.zeros(n_way, support.shape[1])
    for k in range(n_way):
        c[k] = support[y_support == k].mean(0)
    return c


def prototypes_by_index_add(support, y_support, n_way):
    sums = torch.zeros(n_way, support.shape[1]).index_add(0, y_support, support)
    return sums / torch.bincount(y_support, minlength=n_way)[:, None]


def loss_by_cdist(query, y_query, c):
    return F.cross_entropy(-torch.cdist(query, c) ** 2, y_query)


def loss_by_log_softmax(query, y_query, c):
    d = (query.unsqueeze(1) - c.unsqueeze(0)).pow(2).sum(-1)
    return -(-d).log_softmax(-1)[torch.arange(len(y_query)), y_query].mean()


def attention_by_cosine_similarity(query, support):
    return torch.softmax(F.cosine_similarity(query[:, None], support[None], dim=-1), dim=1)


def probabilities_by_loop(attention, y_support, n_way):
    return torch.stack([attention[:, y_support == k].sum(1) for k in range(n_way)], dim=1)


def hint(check, function) -> str:
    with pytest.raises(Hint) as raised:
        check(function)
    return str(raised.value)


def test_the_teachers_solutions_and_other_correct_forms_pass() -> None:
    for function in (prototypes, prototypes_by_one_hot, prototypes_in_place, prototypes_by_index_add):
        metric.check_prototypes(function)
    for function in (protonet_loss, loss_by_cdist, loss_by_log_softmax):
        metric.check_protonet_loss(function)
    for function in (cosine_attention, attention_by_cosine_similarity):
        metric.check_cosine_attention(function)
    for function in (matching_probabilities, probabilities_by_loop):
        metric.check_matching_probabilities(function)


# --- exercise 1: prototypes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, words", [
    (lambda s, y, n: torch.stack([s[y == k].sum(0) for k in range(n)]), "they are the sums"),
    (lambda s, y, n: torch.stack([s[y == k].sum(0) / len(s) for k in range(n)]), "divided by all 6 support examples"),
    (lambda s, y, n: s.mean(0).expand(n, -1), "the mean of the whole support set"),
    (lambda s, y, n: s.mean(0), "one mean of the whole support set"),
    (lambda s, y, n: s.view(n, -1, s.shape[1]).mean(1), "as if the support set were sorted by class"),
    (lambda s, y, n: s.view(-1, n, s.shape[1]).mean(0), "as if the support set were sorted by class"),
    (lambda s, y, n: torch.stack([s[y == k].mean(1) for k in range(n)]), "wrong axis, the features"),
    (lambda s, y, n: s.view(n, -1, s.shape[1]).mean(0), "You averaged over the classes"),
    (lambda s, y, n: s, "one row per support example"),
    (lambda s, y, n: torch.stack([s[y == k].mean(0) for k in range(n)]).detach(), "cut off from the embeddings"),
    (lambda s, y, n: torch.stack([s[y == k].mean(0) for k in range(3)]), "shape (3, 8), expected (4, 8)"),
    (lambda s, y: s, "should take (support, y_support, n_way)"),
    (lambda s, y, n: None, "still the stub"),
    (lambda s, y, n: s[y == n].mean(0)[None] @ s, "raised RuntimeError"),
])
def test_prototype_mistakes_get_their_hint(wrong, words) -> None:
    text = hint(metric.check_prototypes, wrong)
    assert words in text, text


def test_every_prototype_mistake_is_told_it_is_not_a_class_mean() -> None:
    """The issue's words: "the prototypes are not class means"."""
    for wrong in (lambda s, y, n: torch.stack([s[y == k].sum(0) for k in range(n)]),
                  lambda s, y, n: s.mean(0).expand(n, -1),
                  lambda s, y, n: s.view(n, -1, s.shape[1]).mean(1),
                  lambda s, y, n: s.view(n, -1, s.shape[1]).median(1).values):
        assert "the prototypes are not class means" in hint(metric.check_prototypes, wrong)


# --- exercise 2: the loss ----------------------------------------------------------------------------------------

def logits_loss(logits_of, labels_of=lambda y, d: y, reduction="mean"):
    """A loss whose logits (from the squared distances d [Q, N]) or labels are wrong."""
    def loss(query, y_query, c):
        d = ((query[:, None] - c[None]) ** 2).sum(-1)
        return F.cross_entropy(logits_of(d), labels_of(y_query, d), reduction=reduction)
    return loss


@pytest.mark.parametrize("wrong, words", [
    (lambda q, y, c: F.cross_entropy(-torch.cdist(q, c), y), "the distance is not squared"),
    (lambda q, y, c: F.cross_entropy(-(q[:, None] - c[None]).norm(dim=-1), y), "the distance is not squared"),
    (logits_loss(lambda d: d), "the sign is wrong"),
    (lambda q, y, c: F.cross_entropy(torch.cdist(q, c), y), "largest probability; and the distance is not squared"),
    (logits_loss(lambda d: -d, reduction="sum"), "the sum over the 12 queries"),
    (logits_loss(lambda d: -d, reduction="none"), "one loss per query"),
    (lambda q, y, c: -F.cross_entropy(-((q[:, None] - c[None]) ** 2).sum(-1), y), "it is log p of the true class"),
    (logits_loss(lambda d: (-d).softmax(-1)), "the softmax is applied twice"),
    (lambda q, y, c: -(-((q[:, None] - c[None]) ** 2).sum(-1)).softmax(-1)[torch.arange(len(y)), y].mean(),
     "the loss is −p, not −log p"),
    (logits_loss(lambda d: -d, lambda y, d: torch.arange(d.shape[1]).repeat_interleave(len(y) // d.shape[1])),
     "the labels are not the episode's"),
    (logits_loss(lambda d: -d, lambda y, d: torch.arange(len(y)) % d.shape[1]), "the labels are not the episode's"),
    (logits_loss(lambda d: -d, lambda y, d: d.argmin(-1)), "the labels are not the episode's"),
    (lambda q, y, c: F.cross_entropy(F.normalize(q, dim=-1) @ F.normalize(c, dim=-1).T, y), "cosine similarities"),
    (lambda q, y, c: protonet_loss(q, y, c).item(), "a plain number"),
    (lambda q, y, c: F.cross_entropy(-((q[:, None] - c[None].detach()) ** 2).sum(-1), y),
     "no gradient (or a wrong one) reaches the prototypes c"),
    (lambda q, y, c: -((q[:, None] - c[None]) ** 2).sum(-1), "one number per query and class"),
    (lambda q, y: q, "should take (query, y_query, c)"),
    (lambda q, y, c: ..., "still the stub"),
])
def test_loss_mistakes_get_their_hint(wrong, words) -> None:
    text = hint(metric.check_protonet_loss, wrong)
    assert words in text, text


def test_a_loss_that_ignores_the_labels_is_told_so() -> None:
    fixed = torch.tensor([2, 0, 1, 1, 0, 2, 2, 1, 0, 0, 1, 2])  # e.g. the labels of some other episode

    def global_labels(query, y_query, c):
        return F.cross_entropy(-((query[:, None] - c[None]) ** 2).sum(-1), fixed)

    assert "yours gives the same loss whatever y_query is" in hint(metric.check_protonet_loss, global_labels)


# --- exercise 3: attention ----------------------------------------------------------------------------------------

def normalised(x, dim=-1):
    return F.normalize(x, dim=dim)


@pytest.mark.parametrize("wrong, words", [
    (lambda q, s: (normalised(q) @ normalised(s).T).softmax(dim=0), "the softmax is over the wrong axis"),
    (lambda q, s: (q @ s.T).softmax(dim=-1), "softmax of dot products, not of cosine similarities"),
    (lambda q, s: (q @ s.T).softmax(dim=0), "it is a softmax of dot products"),
    (lambda q, s: normalised(q) @ normalised(s).T, "the cosines themselves"),
    (lambda q, s: (1 - normalised(q) @ normalised(s).T).softmax(-1), "prefers the least similar"),
    (lambda q, s: (normalised(q, 0) @ normalised(s, 0).T).softmax(-1), "normalised along the wrong axis"),
    (lambda q, s: (normalised(q) @ normalised(s).T).flatten().softmax(0).view(len(q), len(s)), "every entry"),
    (lambda q, s: (-torch.cdist(q, s) ** 2).softmax(-1), "negative squared distances"),
    (lambda q, s: (normalised(s) @ normalised(q).T).softmax(0), "you transposed it"),
    (lambda q, s: (normalised(q) @ normalised(s).T).detach().softmax(-1), "cut off from the embeddings"),
    (lambda q, s: (2 * normalised(q) @ normalised(s).T).softmax(-1), "the attention differs from eq. 2"),
    (lambda q, s: torch.sigmoid(normalised(q) @ normalised(s).T), "should sum to 1 over the 6 support images"),
    (lambda q: q, "should take (query, support)"),
    (lambda q, s: None, "still the stub"),
])
def test_attention_mistakes_get_their_hint(wrong, words) -> None:
    text = hint(metric.check_cosine_attention, wrong)
    assert words in text, text


# --- exercise 4: the vote ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, words", [
    (lambda a, y, n: a @ y.float(), "The one-hot labels are missing"),
    (lambda a, y, n: (a * y).sum(-1, keepdim=True), "The one-hot labels are missing"),
    (lambda a, y, n: a, "still the attention over the 6 support images"),
    (lambda a, y, n: F.one_hot(y[a.argmax(-1)], n).float(), "the single most attended support image"),
    (lambda a, y, n: a.view(len(a), n, -1).sum(-1), "as if the support set were sorted by class"),
    (lambda a, y, n: a @ F.one_hot(y, n).float() / 2, "averages each class's attention"),
    (lambda a, y, n: (a @ F.one_hot(y, n).float()).softmax(-1), "a softmax is applied to ŷ"),
    (lambda a, y, n: (a @ F.one_hot(y, n).float()).T, "you transposed it"),
    (lambda a, y, n: a.detach() @ F.one_hot(y, n).float(), "cut off from the attention"),
    (lambda a, y: a, "should take (attention, y_support, n_way)"),
    (lambda a, y, n: None, "still the stub"),
])
def test_vote_mistakes_get_their_hint(wrong, words) -> None:
    text = hint(metric.check_matching_probabilities, wrong)
    assert words in text, text


def test_the_mistake_models_are_told_apart_on_the_fixed_episodes() -> None:
    """No two mistakes (nor a mistake and the right answer) coincide on the checks' inputs: each hint is specific."""
    episode = metric.fixed_episode(2, n_way=3, shots=2, queries=4)
    c = metric.reference_prototypes(episode.support, episode.y_support, 3)
    d2 = -metric.reference_logits(episode.query, c)
    values = [F.cross_entropy(x, episode.y_query).item() for x in (-d2, -d2.sqrt(), d2, d2.sqrt())]
    assert min(abs(a - b) for i, a in enumerate(values) for b in values[i + 1:]) > 1e-2
    attention = metric.reference_attention(episode.query, episode.support)
    assert not torch.allclose(attention, attention.softmax(0), atol=1e-3)


def test_checks_leave_the_notebooks_random_numbers_alone() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    metric.check_prototypes(prototypes)
    metric.check_protonet_loss(protonet_loss)
    metric.check_cosine_attention(cosine_attention)
    metric.check_matching_probabilities(matching_probabilities)
    assert torch.equal(torch.rand(3), expected)


def test_through_otter_the_checks_show_pass_or_the_hint() -> None:
    exercises = Exercises("07_metric_learners")
    env = {"prototypes": prototypes, "protonet_loss": protonet_loss, "cosine_attention": cosine_attention,
           "matching_probabilities": matching_probabilities}
    assert [repr(exercises.check(n, env)) for n in exercises.names] == [f"✓ {n}: passed" for n in exercises.names]
    wrong = exercises.check("protonet_loss", {"protonet_loss": logits_loss(lambda d: d)})
    assert not wrong.passed and wrong.score == 0 and wrong.possible == 3
    assert repr(wrong).startswith("✗ protonet_loss: not yet\n  - the sign is wrong")
    assert "`prototypes` is not defined yet" in exercises.check("prototypes", {}).hints[0]


# --- the race ---------------------------------------------------------------------------------------------------

def test_the_race_of_a_correct_protonet_gives_the_same_numbers() -> None:
    race = metric.race_protonet(prototypes, protonet_loss, steps=6, progress=False)
    assert race.error is None and len(race.student) == len(race.mlkit) == len(race.reference) == 6
    assert race.agree() and race.equation_difference < 1e-6 and race.largest_difference == 0.0
    assert race.speedup > 0
    report = race.report()
    assert "within a relative 0.0001: True" in report and "the same numbers, up to float rounding" in report


def test_a_correct_protonet_that_rounds_differently_still_agrees_step_by_step() -> None:
    race = metric.race_protonet(prototypes_by_one_hot, loss_by_cdist, steps=6, progress=False)
    assert race.agree() and race.equation_difference < 1e-5


def test_a_wrong_loss_trains_but_does_not_agree() -> None:
    race = metric.race_protonet(prototypes, logits_loss(lambda d: -d.sqrt()), steps=3, progress=False)
    assert race.error is None and not race.agree() and "True" not in race.report()


def test_the_race_of_a_stub_reports_it_and_mlkit_trains_alone() -> None:
    race = metric.race_protonet(prototypes, lambda query, y_query, c: None, steps=2, progress=False)
    assert race.student == [] and len(race.mlkit) == 2 and not race.agree() and math.isinf(race.equation_difference)
    assert "still the stub" in race.error and "trained alone" in race.report()
    undefined = metric.race_protonet(None, protonet_loss, steps=1, progress=False)
    assert "`prototypes` is not defined yet" in undefined.error
    shaped = metric.race_protonet(lambda s, y, n: s[:3], protonet_loss, steps=1, progress=False)
    assert "expected (20, 64): see its check" in shaped.error


def test_the_students_matching_network_on_a_trained_embedding_is_compared_in_one_line() -> None:
    from mlkit.live.metric import build_metric, sub_episode, view_episode

    meta = build_metric("matching", 0).eval()
    episode = sub_episode(view_episode(0), 5, 2)
    line = metric.matching_with_yours(cosine_attention, matching_probabilities, meta, episode)
    assert "give its class probabilities (within 1e-5): True" in line, line
    assert "False" in metric.matching_with_yours(lambda q, s: (q @ s.T).softmax(-1), matching_probabilities, meta,
                                                 episode)
    stub = metric.matching_with_yours(cosine_attention, lambda a, y, n: None, meta, episode)
    assert stub.startswith("your Matching Network could not run on this episode: `matching_probabilities` returned")
