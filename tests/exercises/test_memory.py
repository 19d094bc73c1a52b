"""Notebook 08's exercise checks (``mlkit.exercises.memory``): the teacher's solutions (the notebook's own cells)
pass; realistic wrong implementations fail with the hint that names their mistake; the race, the LRUA order and the
fast weights inside Meta Networks run the student's functions and report a broken one in words.
"""
from __future__ import annotations

import math
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from mlkit.exercises import Exercises
from mlkit.exercises import memory as checks
from mlkit.exercises.feedback import Hint

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "08_memory_learners.ipynb"
NAMES = ("cosine_read", "update_usage", "write_weights", "example_fast_weights")


@pytest.fixture(scope="module")
def teacher() -> dict:
    """The teacher's solutions: the notebook's cells that define the exercises' functions, run as they are."""
    namespace: dict = {"torch": torch, "F": F}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.startswith(tuple(f"def {name}(" for name in NAMES)):
            exec(compile(cell.source, str(NOTEBOOK), "exec"), namespace)
    assert all(name in namespace for name in NAMES)
    return namespace


def hint_of(check, function) -> str:
    with pytest.raises(Hint) as raised:
        check(function)
    return str(raised.value)


def stub(*_args):
    return None


# --- the teacher's solutions pass ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, check", [("cosine_read", checks.check_cosine_read),
                                         ("update_usage", checks.check_update_usage),
                                         ("write_weights", checks.check_write_weights),
                                         ("example_fast_weights", checks.check_fast_weights)])
def test_the_teachers_solution_passes(teacher, name, check):
    check(teacher[name])


def test_the_checks_leave_the_global_random_numbers_alone(teacher):
    torch.manual_seed(7)
    before = torch.random.get_rng_state()
    checks.check_fast_weights(teacher["example_fast_weights"])
    checks.check_cosine_read(teacher["cosine_read"])
    assert torch.equal(before, torch.random.get_rng_state())


# --- exercise 1: the cosine read -----------------------------------------------------------------------------

def dot_product_read(keys, memory):
    weights = (keys @ memory.transpose(1, 2)).softmax(-1)
    return weights, weights @ memory


def softmax_over_heads(keys, memory):
    weights = (F.normalize(keys, dim=-1) @ F.normalize(memory, dim=-1).transpose(1, 2)).softmax(1)
    return weights, weights @ memory


def no_softmax(keys, memory):
    weights = F.normalize(keys, dim=-1) @ F.normalize(memory, dim=-1).transpose(1, 2)
    return weights, weights @ memory


def mean_of_rows(keys, memory):
    weights = (F.normalize(keys, dim=-1) @ F.normalize(memory, dim=-1).transpose(1, 2)).softmax(-1)
    return weights, (weights.unsqueeze(-1) * memory.unsqueeze(1)).mean(2)


def detached_read(keys, memory):
    weights = (F.normalize(keys.detach(), dim=-1) @ F.normalize(memory, dim=-1).transpose(1, 2)).softmax(-1)
    return weights, weights @ memory


@pytest.mark.parametrize("function, words", [
    (dot_product_read, "plain dot product"),
    (softmax_over_heads, "softmax runs over the heads"),
    (no_softmax, "the cosines themselves"),
    (mean_of_rows, "mean of the weighted rows"),
    (detached_read, "cut off from the key"),
    (lambda keys, memory: dot_product_read(keys, memory)[0], "should return two tensors"),
    (stub, "still the stub"),
])
def test_a_wrong_read_gets_its_hint(function, words):
    assert words in hint_of(checks.check_cosine_read, function)


# --- exercise 2: usage and least-used weights ------------------------------------------------------------------

def mask(usage, slots):
    return torch.zeros_like(usage).scatter(-1, slots, 1.0)


def usage_without_decay(usage, read_weights, write_weights, gamma, n):
    new = usage + read_weights.sum(1) + write_weights.sum(1)
    return new, mask(new, new.argsort(dim=-1, stable=True)[:, :n])


def least_used_of_the_previous_step(usage, read_weights, write_weights, gamma, n):
    new = gamma * usage + read_weights.sum(1) + write_weights.sum(1)
    return new, mask(usage, usage.argsort(dim=-1, stable=True)[:, :n])


def most_used(usage, read_weights, write_weights, gamma, n):
    new = gamma * usage + read_weights.sum(1) + write_weights.sum(1)
    return new, mask(new, new.argsort(dim=-1, stable=True, descending=True)[:, :n])


def topk_ties(usage, read_weights, write_weights, gamma, n):
    new = gamma * usage + read_weights.sum(1) + write_weights.sum(1)
    return new, mask(new, torch.topk(new, n, largest=False).indices)


def paper_threshold(usage, read_weights, write_weights, gamma, n):
    """The paper's w^lu(i) = 1 if w^u(i) <= m(w^u, n), which marks every tied slot."""
    new = gamma * usage + read_weights.sum(1) + write_weights.sum(1)
    return new, (new <= new.kthvalue(n, dim=-1, keepdim=True).values).float()


def slot_numbers(usage, read_weights, write_weights, gamma, n):
    new = gamma * usage + read_weights.sum(1) + write_weights.sum(1)
    return new, new.argsort(dim=-1, stable=True)[:, :n]


def heads_kept(usage, read_weights, write_weights, gamma, n):
    new = gamma * usage.unsqueeze(1) + read_weights + write_weights
    return new, new


@pytest.mark.parametrize("function, words", [
    (usage_without_decay, "not decayed"),
    (least_used_of_the_previous_step, "the wrong time step"),
    (most_used, "most used slots"),
    (topk_ties, "lower slot first"),
    (paper_threshold, "ones, not n = 2"),
    (slot_numbers, "holds slot numbers"),
    (heads_kept, "head axis"),
    (stub, "still the stub"),
])
def test_a_wrong_usage_gets_its_hint(function, words):
    assert words in hint_of(checks.check_update_usage, function)


# --- exercise 3: the write weights ---------------------------------------------------------------------------

def gate(alpha):
    return torch.sigmoid(alpha).view(1, -1, 1)


@pytest.mark.parametrize("function, words", [
    (lambda alpha, previous_read, previous_least_used: gate(alpha) * previous_read,
     "ignore the least-used term"),
    (lambda alpha, previous_read, previous_least_used:
     (1 - gate(alpha)) * previous_read + gate(alpha) * previous_least_used[:, None], "are swapped"),
    (lambda alpha, previous_read, previous_least_used:
     alpha.view(1, -1, 1) * previous_read + (1 - alpha.view(1, -1, 1)) * previous_least_used[:, None],
     "squash it first"),
    (lambda alpha, previous_read, previous_least_used:
     gate(alpha) * previous_read + (1 - gate(alpha)) * previous_least_used, "head axis"),
    (lambda alpha, previous_read, previous_least_used:
     gate(alpha.detach()) * previous_read + (1 - gate(alpha.detach())) * previous_least_used[:, None],
     "cut off from α"),
    (stub, "still the stub"),
])
def test_wrong_write_weights_get_their_hint(function, words):
    assert words in hint_of(checks.check_write_weights, function)


# --- exercise 4: Meta Networks' fast weights -------------------------------------------------------------------

def gradient_of_the_summed_loss(features, labels, weight, bias, meta_learner):
    loss = F.cross_entropy(features @ weight + bias, labels, reduction="sum")
    grad, = torch.autograd.grad(loss, weight, create_graph=True)
    return meta_learner(grad.expand(len(labels), -1, -1))


def per_example(features, labels, weight, bias, create_graph=True):
    return torch.stack([torch.autograd.grad(F.cross_entropy(h @ weight + bias, y), weight,
                                            create_graph=create_graph)[0] for h, y in zip(features, labels)])


@pytest.mark.parametrize("function, words", [
    (gradient_of_the_summed_loss, "every ϕ⁺_i is the same"),
    (lambda features, labels, weight, bias, meta_learner: per_example(features, labels, weight, bias),
     "the gradients themselves"),
    (lambda features, labels, weight, bias, meta_learner: meta_learner(-per_example(features, labels, weight, bias)),
     "wrong sign"),
    (lambda features, labels, weight, bias, meta_learner:
     meta_learner(per_example(features, labels, weight, bias, create_graph=False)), "cannot reach W"),
    (lambda features, labels, weight, bias, meta_learner:
     meta_learner(per_example(features, labels, weight, 0 * bias.detach())), "miss the bias"),
    (lambda features, labels, weight, bias, meta_learner:
     meta_learner(per_example(features, labels, weight, bias)).transpose(1, 2), "transposed"),
    (stub, "still the stub"),
])
def test_wrong_fast_weights_get_their_hint(function, words):
    assert words in hint_of(checks.check_fast_weights, function)


def test_an_exception_in_the_students_code_is_one_readable_hint():
    def broken(keys, memory):
        return keys @ memory  # shapes do not fit
    assert "raised RuntimeError" in hint_of(checks.check_cosine_read, broken)
    assert "should take (keys, memory)" in hint_of(checks.check_cosine_read, lambda keys: keys)
    assert "not defined yet" in hint_of(checks.check_cosine_read, None)


def test_the_notebooks_check_cell_shows_the_hint(teacher):
    exercises = Exercises("08_memory_learners")
    assert exercises.check("write_weights", env={"write_weights": teacher["write_weights"]}).passed
    result = exercises.check("write_weights", env={"write_weights": lambda alpha, previous_read, previous_least_used:
                                                   gate(alpha) * previous_read})
    assert not result.passed and "ignore the least-used term" in repr(result)


# --- the student's functions at work ---------------------------------------------------------------------------

def test_the_race_agrees_with_the_teachers_memory_and_reports_a_stub(teacher):
    race = checks.race_mann(teacher["cosine_read"], teacher["update_usage"], teacher["write_weights"], steps=3,
                            progress=False)
    assert race.error is None and race.agree() and race.largest_difference == 0.0 and len(race.student) == 3
    stopped = checks.race_mann(teacher["cosine_read"], teacher["update_usage"], stub, steps=2, progress=False)
    assert stopped.student == [] and "still the stub" in stopped.error and len(stopped.mlkit) == 2
    assert "still the stub" in stopped.report()
    missing = checks.race_mann(None, teacher["update_usage"], teacher["write_weights"], steps=2, progress=False)
    assert "not defined yet" in missing.error


def test_the_race_tells_a_wrong_memory_apart(teacher):
    def no_least_used(alpha, previous_read, previous_least_used):
        return torch.sigmoid(alpha).view(1, -1, 1) * previous_read
    race = checks.race_mann(teacher["cosine_read"], teacher["update_usage"], no_least_used, steps=2, progress=False)
    assert race.error is None and not race.agree()


def test_the_race_leaves_the_global_random_numbers_as_the_reference_run_alone_would(teacher):
    torch.manual_seed(3)
    checks.race_mann(teacher["cosine_read"], teacher["update_usage"], teacher["write_weights"], steps=2,
                     progress=False)
    after_race = torch.random.get_rng_state()
    from mlkit.live.memory import build_mann
    torch.manual_seed(3)
    build_mann(5, 0)  # the only global draw: the network's initial weights, seeded
    assert torch.equal(after_race, torch.random.get_rng_state())


def test_lrua_order_with_the_students_functions_and_without(teacher):
    even = checks.lrua_order(teacher["update_usage"], teacher["write_weights"], torch.full((4,), 0.25))
    focused = checks.lrua_order(teacher["update_usage"], teacher["write_weights"], torch.tensor([1.0, 0, 0, 0]))
    assert even["slots"] == [0, 1, 2, 3] * 3 and even["by"] == "your functions"
    assert focused["slots"][:4] == [0, 1, 2, 3] and 0 not in focused["slots"][1:]
    assert focused["usage"][-1, 0] > 9 and even["write"].shape == (12, 4)
    fallback = checks.lrua_order(stub, teacher["write_weights"], torch.full((4,), 0.25))
    assert fallback["slots"] == even["slots"] and fallback["by"] == "mlkit's functions: `update_usage` returned None"


@pytest.fixture(scope="module")
def small_metanet():
    from mlkit.learners import ConvNet
    from mlkit.live.memory import characters
    from mlkit.meta.metanet import MetaNet
    from mlkit.tasks.episodes import EpisodeSampler

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        meta = MetaNet(ConvNet(1, 3, hidden=8, image_size=28, downsample="stride"))
    return meta, EpisodeSampler(characters("test"), 3, 1, 2, 3, 0).sample()


def test_your_fast_weights_inside_meta_networks(teacher, small_metanet):
    meta, batch = small_metanet
    mine = checks.with_your_fast_weights(teacher["example_fast_weights"], meta, batch, seed=1)
    assert mine["error"] is None and mine["agree"] and mine["largest_difference"] < 1e-5
    torch.testing.assert_close(mine["yours"], mine["mlkit"])
    expected = meta.adapt(batch.x_support, batch.y_support, seed=1).outputs(batch.x_query)
    torch.testing.assert_close(mine["mlkit"].softmax(-1), expected)
    assert mine["attention"].shape == (3, 6, 3) and mine["memory"]["values"].shape == (3, 3, 8, 3)
    wrong = checks.with_your_fast_weights(gradient_of_the_summed_loss, meta, batch, seed=1)
    assert wrong["error"] is None and not wrong["agree"]
    broken = checks.with_your_fast_weights(stub, meta, batch, seed=1)
    assert "still the stub" in broken["error"] and math.isinf(broken["largest_difference"])


def test_a_correct_memory_written_differently_stays_within_the_races_tolerance():
    """Other roundings of the same equations (the race's docstring: step size 1e-3 keeps their drift small)."""
    def read(keys, memory):
        similarity = (keys @ memory.transpose(1, 2)) / (keys.norm(dim=-1, keepdim=True)
                                                        * memory.norm(dim=-1).unsqueeze(1))
        weights = similarity.exp() / similarity.exp().sum(-1, keepdim=True)
        return weights, (weights.unsqueeze(-1) * memory.unsqueeze(1)).sum(2)

    def usage(usage, read_weights, write_weights, gamma, n):
        new = (read_weights + write_weights).sum(1) + usage * gamma
        least = torch.zeros_like(new)
        least[torch.arange(new.shape[0])[:, None], torch.sort(new, dim=-1, stable=True).indices[:, :n]] = 1
        return new, least

    def write(alpha, previous_read, previous_least_used):
        gate = 1 / (1 + torch.exp(-alpha))
        return gate[None, :, None] * (previous_read - previous_least_used[:, None]) + previous_least_used[:, None]

    race = checks.race_mann(read, usage, write, steps=20, seed=1, progress=False)
    assert race.error is None and race.agree(), race.largest_difference
