"""mlkit/exercises/reptile.py: notebook 05's checks accept first-order MAML, the Reptile update and the A and B of
the expansion as the notebook states them, name each realistic mistake, and agree with mlkit's expansion; the
student's Reptile races mlkit's to the same numbers."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mlkit.exercises import Exercises, reptile
from mlkit.exercises.feedback import Hint


# --- the teacher's solutions (as in the notebook) -------------------------------------------------------------

def mlp(x, w):
    h = F.relu(x @ w["w0"] + w["b0"])
    h = F.relu(h @ w["w1"] + w["b1"])
    return h @ w["w2"] + w["b2"]


def loss_of(w, x, y):
    return F.mse_loss(mlp(x, w), y)


def fomaml_gradient(theta, x_support, y_support, x_query, y_query, alpha, *, second_order=False, swap=False):
    if swap:
        x_support, y_support, x_query, y_query = x_query, y_query, x_support, y_support
    grads = torch.autograd.grad(loss_of(theta, x_support, y_support), list(theta.values()), create_graph=second_order)
    adapted = {n: w - alpha * g for (n, w), g in zip(theta.items(), grads)}
    if second_order:
        return list(torch.autograd.grad(loss_of(adapted, x_query, y_query), list(theta.values())))
    adapted = {n: w.detach().requires_grad_() for n, w in adapted.items()}
    return list(torch.autograd.grad(loss_of(adapted, x_query, y_query), list(adapted.values())))


def reptile_update(theta, x, y, alpha, k, epsilon, *, sign=1.0, outer=None, steps=None, in_place=False):
    phi = {n: w.detach().clone().requires_grad_() for n, w in theta.items()}
    for _ in range(k if steps is None else steps):
        grads = torch.autograd.grad(loss_of(phi, x, y), list(phi.values()))
        phi = {n: (w - alpha * g).detach().requires_grad_() for (n, w), g in zip(phi.items(), grads)}
    size = epsilon if outer is None else outer
    new = {n: theta[n].detach() + sign * size * (phi[n].detach() - theta[n].detach()) for n in theta}
    if in_place:
        with torch.no_grad():
            for n in theta:
                theta[n].copy_(new[n])
        return theta
    return new


def a_and_b(theta, tasks, *, half=0.5, same=False, one_order=False, a_batch=None, total=False):
    a = [torch.zeros_like(w) for w in theta.values()]
    b = [torch.zeros_like(w) for w in theta.values()]
    for (x0, y0), (x1, y1) in tasks:
        if same:
            x1, y1 = x0, y0
        g0 = torch.autograd.grad(loss_of(theta, x0, y0), list(theta.values()), create_graph=True)
        g1 = torch.autograd.grad(loss_of(theta, x1, y1), list(theta.values()), create_graph=True)
        if one_order:  # H(1) g(0): g(0) held constant
            dot = sum((u.detach() * v).sum() for u, v in zip(g0, g1))
            h = [2 * t for t in torch.autograd.grad(dot, list(theta.values()))]
        else:
            dot = sum((u * v).sum() for u, v in zip(g0, g1))
            h = torch.autograd.grad(dot, list(theta.values()))  # H(1) g(0) + H(0) g(1)
        grads = (g0, g1) if a_batch is None else ((g0, g0) if a_batch == 0 else (g1, g1))
        a = [s + (u + v).detach() / 2 for s, u, v in zip(a, *grads)]
        b = [s + half * t for s, t in zip(b, h)]
    n = 1 if total else len(tasks)
    return [s / n for s in a], [s / n for s in b]


def hint(check, function) -> str:
    with pytest.raises(Hint) as raised:
        check(function)
    return str(raised.value)


def test_the_teachers_solutions_pass() -> None:
    reptile.check_fomaml_gradient(fomaml_gradient)
    reptile.check_reptile_update(reptile_update)
    reptile.check_a_and_b(a_and_b)


def test_the_checks_go_through_otter_and_say_passed() -> None:
    exercises = Exercises("05_maml_vs_reptile")
    assert exercises.names == ["a_and_b", "fomaml_gradient", "reptile_update"]
    env = {"fomaml_gradient": fomaml_gradient, "reptile_update": reptile_update, "a_and_b": a_and_b}
    for name in exercises.names:
        assert repr(exercises.check(name, env)) == f"✓ {name}: passed"
    result = exercises.check("reptile_update", {"reptile_update": lambda t, x, y, a, k, e: reptile_update(
        t, x, y, a, k, e, sign=-1.0)})
    assert not result.passed and "wrong sign" in result.hints[0]


def test_mlkits_a_and_b_are_the_notebooks_definitions() -> None:
    """The reference the check uses (mlkit's float64 expansion) equals the pieces computed here by autograd."""
    theta, tasks = reptile.fixed_weights(7), reptile.fixed_tasks()
    want_a, want_b = reptile.mlkit_a_and_b(theta, tasks)
    pieces = [reptile.products(theta, task) for task in tasks]
    a = torch.stack([0.5 * (p["g0"] + p["g1"]) for p in pieces]).mean(0)
    b = torch.stack([0.5 * (p["H1g0"] + p["H0g1"]) for p in pieces]).mean(0)
    assert torch.allclose(a, want_a, rtol=1e-4, atol=1e-7) and torch.allclose(b, want_b, rtol=1e-4, atol=1e-6)


def detached_inner(theta, x_support, y_support, x_query, y_query, alpha):
    grads = torch.autograd.grad(loss_of(theta, x_support, y_support), list(theta.values()))
    adapted = {n: (w - alpha * g).detach() for (n, w), g in zip(theta.items(), grads)}  # no requires_grad_()
    return list(torch.autograd.grad(loss_of(adapted, x_query, y_query), list(adapted.values())))


@pytest.mark.parametrize("wrong, words", [
    (lambda *a: fomaml_gradient(*a, second_order=True), "MAML's meta-gradient, Hessian term included"),
    (lambda t, xs, ys, xq, yq, a: list(torch.autograd.grad(loss_of(t, xq, yq), list(t.values()))), "before the step"),
    (lambda *a: fomaml_gradient(*a, swap=True), "support and query are swapped"),
    (lambda t, xs, ys, xq, yq, a: fomaml_gradient(t, xs, ys, xs, ys, a), "support loss after the step"),
    (lambda t, xs, ys, xq, yq, a: fomaml_gradient(t, xs, ys, xq, yq, -a), "went uphill"),
    (lambda t, xs, ys, xq, yq, a: fomaml_gradient(t, xs, ys, xq, yq, 1.0), "ignores α"),
    (lambda t, xs, ys, xq, yq, a: [w.detach() - a * g for w, g in zip(t.values(), torch.autograd.grad(
        loss_of(t, xs, ys), list(t.values())))], "adapted weights θ', not a gradient"),
    (detached_inner, "requires_grad_()"),
    (lambda t, xs, ys, xq, yq, a: fomaml_gradient(t, xs, ys, xq, yq, a)[:3], "one tensor per tensor of θ"),
    (lambda t, xs, ys, xq, yq: None, "should take (theta, x_support"),
    (lambda t, xs, ys, xq, yq, a: ..., "still the stub"),
])
def test_fomaml_gradient_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(reptile.check_fomaml_gradient, wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda *a: reptile_update(*a, sign=-1.0), "the Reptile step has the wrong sign"),
    (lambda t, x, y, a, k, e: reptile_update(t, x, y, a, k, 1.0), "wrong scale: θ went all the way to φ"),
    (lambda t, x, y, a, k, e: reptile_update(t, x, y, a, k, e, outer=a), "wrong scale: the outer step uses ε"),
    (lambda t, x, y, a, k, e: {n: v - t[n].detach() for n, v in reptile_update(t, x, y, a, k, e).items()},
     "you returned the step ε(φ − θ)"),
    (lambda t, x, y, a, k, e: reptile_update(t, x, y, a, k, e, steps=1), "φ took one SGD step"),
    (lambda t, x, y, a, k, e: reptile_update(t, x, y, a, k, e, steps=k + 1), "φ took 4 SGD steps"),
    (lambda t, x, y, a, k, e: reptile_update(t, x, y, -a, k, e), "went uphill"),
    (lambda t, x, y, a, k, e: {n: t[n].detach() + e * (-a * k * g) for n, g in zip(t, torch.autograd.grad(
        loss_of(t, x, y), list(t.values())))}, "gradient at θ"),
    (lambda *a: reptile_update(*a, in_place=True), "changed θ in place"),
    (lambda t, x, y, a, k, e: dict(list(reptile_update(t, x, y, a, k, e).items())[:4]), "missing ['w2', 'b2']"),
    (lambda t, x, y, a, k: None, "should take (theta, x, y, alpha, k, epsilon)"),
    (lambda t, x, y, a, k, e: None, "still the stub"),
])
def test_reptile_update_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(reptile.check_reptile_update, wrong)


def no_create_graph(theta, tasks):
    (x0, y0), (x1, y1) = tasks[0]
    g0 = torch.autograd.grad(loss_of(theta, x0, y0), list(theta.values()))
    g1 = torch.autograd.grad(loss_of(theta, x1, y1), list(theta.values()))
    dot = sum((u * v).sum() for u, v in zip(g0, g1))
    return g0, torch.autograd.grad(dot, list(theta.values()))


@pytest.mark.parametrize("wrong, words", [
    (lambda t, tasks: a_and_b(t, tasks, half=1.0), "B is twice too large"),
    (lambda t, tasks: a_and_b(t, tasks, half=-0.5), "B has the wrong sign"),
    (lambda t, tasks: a_and_b(t, tasks, one_order=True), "B uses only H(1)g(0)"),
    (lambda t, tasks: a_and_b(t, tasks, same=True)[:1] + a_and_b(t, tasks, same=True)[1:], "A uses the gradient of "
                                                                                            "batch 0 only"),
    (lambda t, tasks: (a_and_b(t, tasks)[0], a_and_b(t, tasks, same=True)[1]), "pairs batch 0 with itself"),
    (lambda t, tasks: a_and_b(t, tasks, a_batch=1), "A uses the gradient of batch 1 only"),
    (lambda t, tasks: a_and_b(t, tasks, total=True), "A is 6 times too large"),
    (lambda t, tasks: a_and_b(t, tasks)[::-1], "A and B are swapped"),
    (no_create_graph, "create_graph=True"),
    (lambda t, tasks: a_and_b(t, tasks)[0], "two things, A and B"),
    (lambda t: None, "should take (theta, tasks)"),
    (lambda t, tasks: None, "still the stub"),
])
def test_a_and_b_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(reptile.check_a_and_b, wrong)


def test_the_students_reptile_races_mlkits_to_the_same_numbers() -> None:
    race = reptile.race_reptile(reptile_update, progress=False)  # the notebook's 200 meta-iterations
    assert race.error is None and race.agree(), (race.largest_difference, race.report())
    assert race.largest_difference < 1e-12  # float64: no rounding difference tips a ReLU unit over its kink
    assert sum(race.student[-25:]) < 0.6 * sum(race.student[:25]) and math.isfinite(race.speedup)  # it learns
    wrong = reptile.race_reptile(lambda *a: reptile_update(*a, sign=-1.0), iterations=40, progress=False)
    assert not wrong.agree()  # it parts from mlkit (and soon diverges)
    stub = reptile.race_reptile(lambda t, x, y, a, k, e: None, iterations=5, progress=False)
    assert stub.error and "still the stub" in stub.error and len(stub.mlkit) == 5


def test_the_students_a_and_b_beside_mlkits() -> None:
    from mlkit.learners import MLP

    torch.manual_seed(0)
    learner = MLP((1, 40, 40, 1))
    found = reptile.a_and_b_against_mlkit(a_and_b, learner, n_tasks=20)
    assert found.agree and "True" in found.report() and found.student[0] > 0
    broken = reptile.a_and_b_against_mlkit(lambda t, tasks: None, learner, n_tasks=20)
    assert not broken.agree and "still the stub" in broken.report()


def test_the_checks_leave_the_global_random_numbers_alone() -> None:
    torch.manual_seed(5)
    before = torch.random.get_rng_state()
    reptile.check_fomaml_gradient(fomaml_gradient)
    reptile.check_reptile_update(reptile_update)
    reptile.check_a_and_b(a_and_b)
    reptile.race_reptile(reptile_update, iterations=2, progress=False)
    assert torch.equal(before, torch.random.get_rng_state())
