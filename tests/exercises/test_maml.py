"""mlkit/exercises/maml.py: notebook 01's checks accept MAML as Finn et al. (2017) write it and name each realistic
mistake; the student's MAML races mlkit's to the same numbers."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mlkit.exercises import Exercises, maml
from mlkit.exercises.feedback import Hint


def mlp(x, w):
    h = F.relu(x @ w["w0"] + w["b0"])
    h = F.relu(h @ w["w1"] + w["b1"])
    return h @ w["w2"] + w["b2"]


def inner_step(theta, x, y, alpha, create_graph=True, sign=1.0, reduce=F.mse_loss):
    loss = reduce(mlp(x, theta), y)
    grads = torch.autograd.grad(loss, list(theta.values()), create_graph=create_graph)
    return {n: w - sign * alpha * g for (n, w), g in zip(theta.items(), grads)}


def meta_gradient(theta, x_support, y_support, x_query, y_query, alpha, step=inner_step):
    adapted = step(theta, x_support, y_support, alpha)
    return list(torch.autograd.grad(F.mse_loss(mlp(x_query, adapted), y_query), list(theta.values())))


def meta_train_step(theta, optimizer, batch, alpha, reduce=torch.mean, zero=True, tasks=None, swap=False):
    losses = []
    for t in range(batch.n_tasks if tasks is None else tasks):
        support = (batch.x_support[t], batch.y_support[t])
        query = (batch.x_query[t], batch.y_query[t])
        if swap:
            support, query = query, support
        adapted = inner_step(theta, *support, alpha)
        losses.append(F.mse_loss(mlp(query[0], adapted), query[1]))
    loss = reduce(torch.stack(losses))
    if zero:
        optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def hint(check, function) -> str:
    with pytest.raises(Hint) as raised:
        check(function)
    return str(raised.value)


def test_the_teachers_solutions_pass() -> None:
    maml.check_inner_step(inner_step)
    maml.check_meta_gradient(meta_gradient)
    maml.check_meta_train_step(meta_train_step)


@pytest.mark.parametrize("wrong, words", [
    (lambda t, x, y, a: inner_step(t, x, y, a, create_graph=False), "misses the second-order term"),
    (lambda t, x, y, a: inner_step(t, x, y, a, sign=-1.0), "moves uphill"),
    (lambda t, x, y, a: inner_step(t, x, y, 1.0), "ignores α"),
    (lambda t, x, y, a: inner_step(t, x, y, a, reduce=lambda p, q: ((p - q) ** 2).sum()), "5 times too large"),
    (lambda t, x, y, a: {n: w.detach() - a * g for (n, w), g in
                         zip(t.items(), torch.autograd.grad(F.mse_loss(mlp(x, t), y), list(t.values())))},
     "cut off from θ"),
    (lambda t, x, y, a: dict(t), "does not move the weights"),
    (lambda t, x, y, a: {n: w for n, w in list(t.items())[:3]}, "missing ['b1'"),
    (lambda t, x, y: t, "should take (theta, x, y, alpha)"),
    (lambda t, x, y, a: None, "still the stub"),
    (lambda t, x, y, a: mlp(x, t["w0"]), "raised"),
])
def test_inner_step_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(maml.check_inner_step, wrong)


def test_a_students_error_is_reported_with_its_line() -> None:
    def broken(theta, x, y, alpha):
        loss = F.mse_loss(mlp(x, theta), y)
        return {n: w - alpha * loss.grad for n, w in theta.items()}  # .grad is None: TypeError

    text = hint(maml.check_inner_step, broken)
    line = broken.__code__.co_firstlineno + 2  # in a notebook, cells number their own lines
    assert text.startswith("`inner_step` raised TypeError") and f"(line {line} of the cell that defines it)" in text


@pytest.mark.parametrize("wrong, words", [
    (lambda *a: meta_gradient(*a, step=lambda t, x, y, al: inner_step(t, x, y, al, create_graph=False)),
     "first-order MAML's gradient"),
    (lambda t, xs, ys, xq, yq, a: meta_gradient(t, xq, yq, xs, ys, a), "support and query are swapped"),
    (lambda t, xs, ys, xq, yq, a: list(torch.autograd.grad(F.mse_loss(mlp(xq, t), yq), list(t.values()))),
     "before the step"),
    (lambda t, xs, ys, xq, yq, a: meta_gradient(t, xs, ys, xs, ys, a), "support loss after the step"),
    (lambda t, xs, ys, xq, yq, a: meta_gradient(t, xs, ys, xq, yq, a)[:2], "one gradient per tensor of θ"),
])
def test_meta_gradient_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(maml.check_meta_gradient, wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda *a: meta_train_step(*a, zero=False), "optimizer.zero_grad()"),
    (lambda *a: meta_train_step(*a, reduce=torch.sum), "sum over the tasks"),
    (lambda *a: meta_train_step(*a, tasks=1), "only the first task"),
    (lambda *a: meta_train_step(*a, swap=True), "support and query are swapped"),
    (lambda theta, optimizer, batch, alpha: 1.0, "θ did not move"),
    (lambda theta, optimizer, batch, alpha: batch, "should return the meta-loss as a number"),
])
def test_meta_train_step_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(maml.check_meta_train_step, wrong)


def test_a_right_step_that_returns_another_number_is_told_so() -> None:
    def silent(theta, optimizer, batch, alpha):
        meta_train_step(theta, optimizer, batch, alpha)
        return 0.0

    assert "θ moved correctly, but the returned meta-loss is 0" in hint(maml.check_meta_train_step, silent)


def test_checks_leave_the_notebooks_random_numbers_alone() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    maml.check_inner_step(inner_step)
    maml.check_meta_train_step(meta_train_step)
    assert torch.equal(torch.rand(3), expected)


def test_through_otter_the_checks_show_pass_or_the_hint() -> None:
    exercises = Exercises("01_sine_regression")
    env = {"inner_step": inner_step, "meta_gradient": meta_gradient, "meta_train_step": meta_train_step}
    assert [repr(exercises.check(n, env)) for n in exercises.names] == [f"✓ {n}: passed" for n in exercises.names]
    wrong = exercises.check("inner_step", {"inner_step": lambda t, x, y, a: inner_step(t, x, y, a, sign=-1.0)})
    assert not wrong.passed and wrong.score == 0 and wrong.possible == 2
    assert repr(wrong).startswith("✗ inner_step: not yet\n  - θ' moves uphill")
    missing = exercises.check("meta_gradient", {})
    assert "`meta_gradient` is not defined yet" in missing.hints[0]


def test_the_race_of_a_correct_maml_gives_the_same_numbers() -> None:
    race = maml.race_maml(meta_train_step, iterations=30, progress=False)
    assert race.error is None and len(race.student) == len(race.mlkit) == 30
    assert race.agree() and race.largest_difference < 1e-5
    assert race.speedup > 0 and "equal within a relative 0.0001: True" in race.report()


def test_the_race_of_a_stub_reports_it_and_mlkit_trains_alone() -> None:
    race = maml.race_maml(lambda theta, optimizer, batch, alpha: None, iterations=5, progress=False)
    assert race.student == [] and len(race.mlkit) == 5 and not race.agree() and math.isinf(race.largest_difference)
    assert "still the stub" in race.error and "trained alone" in race.report()
    undefined = maml.race_maml(None, iterations=3, progress=False)
    assert "not defined yet" in undefined.error
