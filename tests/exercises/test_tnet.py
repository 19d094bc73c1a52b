"""mlkit/exercises/tnet.py: notebook 02's checks pass the teacher's T-net and name each realistic mistake."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mlkit.exercises import tnet as checks
from mlkit.exercises.feedback import Hint


# --- the teacher's solutions, as in the notebook -----------------------------------------------------------

def tnet_cell(x, W, b, T):
    return (x @ W + b) @ T


def tnet(x, theta):
    h = F.relu(tnet_cell(x, theta["w0"], theta["b0"], theta["t0"]))
    h = F.relu(tnet_cell(h, theta["w1"], theta["b1"], theta["t1"]))
    return tnet_cell(h, theta["w2"], theta["b2"], theta["t2"])


def tnet_inner_step(theta, x, y, alpha):
    names = [name for name in theta if not name.startswith("t")]
    grads = torch.autograd.grad(F.mse_loss(tnet(x, theta), y), [theta[n] for n in names], create_graph=True)
    adapted = dict(theta)
    adapted.update({n: theta[n] - alpha * g for n, g in zip(names, grads)})
    return adapted


def effective_step(grad_A, T, alpha):
    return -alpha * grad_A @ T.T @ T


def step_multipliers(T):
    return torch.linalg.eigvalsh(T.T @ T)


def hint_of(check, *args) -> str:
    with pytest.raises(Hint) as raised:
        check(*args)
    return str(raised.value)


def test_the_teachers_solutions_pass():
    checks.check_tnet_cell(tnet_cell)
    checks.check_tnet_inner_step(tnet_inner_step, tnet_cell, tnet)
    checks.check_effective_step(effective_step)
    checks.check_step_multipliers(step_multipliers)


def test_other_right_inner_steps_pass_too():
    def by_items(theta, x, y, alpha):  # the T's last: any order of the names will do
        grads = torch.autograd.grad(F.mse_loss(tnet(x, theta), y), list(theta.values()), create_graph=True)
        moved = {n: w - alpha * g for (n, w), g in zip(theta.items(), grads) if not n.startswith("t")}
        return {**moved, **{n: w for n, w in theta.items() if n.startswith("t")}}

    checks.check_tnet_inner_step(by_items, tnet_cell, tnet)


def test_the_checks_leave_the_global_random_numbers_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    test_the_teachers_solutions_pass()
    assert torch.equal(torch.rand(3), expected)


# --- exercise 1: the cell ----------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, words", [
    (lambda x, W, b, T: (x @ W + b) @ T.T, "you multiplied by Tᵀ"),
    (lambda x, W, b, T: x @ W @ T + b, "the bias is added after T"),
    (lambda x, W, b, T: x @ W @ T, "the bias b is missing"),
    (lambda x, W, b, T: x @ W + b, "T is missing"),
    (lambda x, W, b, T: F.relu((x @ W + b) @ T), "the cell is linear"),
    (lambda x, W, b, T: (x @ T) @ W + b, "T is applied before W"),
    (lambda x, W, b, T: (x @ W + b) @ T.T @ T, "you applied TᵀT"),
    (lambda x, W, b, T: (x @ W + b) @ T[:, :1], "expected (6, 4)"),
    (lambda x, W, b, T: None, "still the stub"),
])
def test_a_wrong_cell_gets_its_hint(wrong, words):
    assert words in hint_of(checks.check_tnet_cell, wrong)


def test_a_cell_with_the_wrong_parameters_is_named():
    assert "should take (x, W, b, T)" in hint_of(checks.check_tnet_cell, lambda x, W, T: x)


# --- exercise 2: the inner step ----------------------------------------------------------------------------

def adapt(theta, x, y, alpha, names=None, scale=1.0, create_graph=True, reduction="mean"):
    names = [n for n in theta if not n.startswith("t")] if names is None else names
    support_loss = F.mse_loss(tnet(x, theta), y, reduction=reduction)
    grads = torch.autograd.grad(support_loss, [theta[n] for n in names], create_graph=create_graph)
    adapted = dict(theta)
    adapted.update({n: theta[n] - scale * alpha * g for n, g in zip(names, grads)})
    return adapted


@pytest.mark.parametrize("wrong, words", [
    (lambda th, x, y, a: adapt(th, x, y, a, names=list(th)), "T moved: the inner loop adapts W and b only"),
    (lambda th, x, y, a: adapt(th, x, y, a, scale=-1.0), "uphill"),
    (lambda th, x, y, a: adapt(th, x, y, 1.0), "ignores α"),
    (lambda th, x, y, a: adapt(th, x, y, a, reduction="sum"), "5 times too large"),
    (lambda th, x, y, a: adapt(th, x, y, a, names=[n for n in th if n.startswith("w")]), "the biases did not move"),
    (lambda th, x, y, a: adapt(th, x, y, a, create_graph=False), "misses the second-order term"),
    (lambda th, x, y, a: {n: w.detach() for n, w in adapt(th, x, y, a).items()}, "cut off from θ"),
    (lambda th, x, y, a: {n: (w.detach().clone() if n.startswith("t") else w) for n, w in adapt(th, x, y, a).items()},
     "not θ's own T"),
    (lambda th, x, y, a: {n: w for n, w in adapt(th, x, y, a).items() if not n.startswith("t")}, "θ' has no T"),
    (lambda th, x, y, a: dict(th), "θ' equals θ"),
    (lambda th, x, y, a: [w for w in adapt(th, x, y, a).values()], "should be a dict"),
    (lambda th, x, y, a: 1 / 0, "raised ZeroDivisionError"),
])
def test_a_wrong_inner_step_gets_its_hint(wrong, words):
    assert words in hint_of(checks.check_tnet_inner_step, wrong, tnet_cell, tnet)


def test_the_inner_step_check_asks_for_a_right_cell_first_unless_the_step_is_still_the_stub():
    assert "`tnet_cell` is not right yet" in hint_of(checks.check_tnet_inner_step, tnet_inner_step,
                                                     lambda x, W, b, T: x @ W @ T + b, tnet)
    stub_cell = lambda x, W, b, T: None  # noqa: E731

    def network(x, theta):
        return F.relu(stub_cell(x, theta["w0"], theta["b0"], theta["t0"]))

    assert "`tnet_cell` is not right yet" in hint_of(checks.check_tnet_inner_step, tnet_inner_step, stub_cell,
                                                     network)  # the step itself fails inside the network
    assert "still the stub" in hint_of(checks.check_tnet_inner_step, lambda theta, x, y, alpha: None, stub_cell,
                                       network)


# --- exercise 3: the effective step ------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, words", [
    (lambda g, T, a: -a * g, "this is MAML's step on A"),
    (lambda g, T, a: -a * g @ T @ T.T, "you used T Tᵀ"),
    (lambda g, T, a: -a * T.T @ T @ g, "from the wrong side"),
    (lambda g, T, a: -a * T @ T.T @ g, "T Tᵀ on the left"),
    (lambda g, T, a: a * g @ T.T @ T, "wrong sign"),
    (lambda g, T, a: -g @ T.T @ T, "ignores α"),
    (lambda g, T, a: -a * g @ T, "T appears once"),
    (lambda g, T, a: -a * g @ T.T, "Tᵀ appears once"),
    (lambda g, T, a: -a * g @ T.T @ T @ T, "differs from the change one step on W makes"),
])
def test_a_wrong_effective_step_gets_its_hint(wrong, words):
    assert words in hint_of(checks.check_effective_step, wrong)


def test_the_effective_step_is_the_finite_difference_of_mlkits_t_net_step():
    c = checks.fixed_cell(5, 3, seed=9, dtype=torch.float64)
    grad_A, moved = checks.finite_difference(c, 0.3)
    assert torch.allclose(moved, effective_step(grad_A, c["T"], 0.3), atol=1e-12)
    assert not torch.allclose(moved, -0.3 * grad_A, atol=1e-3)  # a T-net's step is not MAML's


# --- exercise 4: the step multipliers ----------------------------------------------------------------------

@pytest.mark.parametrize("wrong, words", [
    (lambda T: torch.linalg.svdvals(T), "singular values"),
    (lambda T: torch.linalg.eigvals(T), "eigenvalues of T itself"),
    (lambda T: torch.linalg.eigh(T.T @ T), "two tensors"),
    (lambda T: torch.linalg.eigvalsh(T.T @ T).flip(0), "wrong order"),
    (lambda T: torch.linalg.eigvalsh(T + T.T), "differs from the eigenvalues of TᵀT"),
])
def test_wrong_multipliers_get_their_hint(wrong, words):
    assert words in hint_of(checks.check_step_multipliers, wrong)


def test_multipliers_of_t_tt_and_as_a_list_pass():
    checks.check_step_multipliers(lambda T: torch.linalg.eigvalsh(T @ T.T))  # the same eigenvalues
    checks.check_step_multipliers(lambda T: torch.linalg.eigvalsh(T.T @ T).tolist())


# --- the race ----------------------------------------------------------------------------------------------

def test_the_teachers_t_net_trains_like_mlkits_and_a_broken_one_is_reported():
    race = checks.race_tnet(tnet, tnet_inner_step, iterations=4, seed=1, progress=False)
    assert race.error is None and race.agree() and len(race.student) == len(race.mlkit) == 4
    broken = checks.race_tnet(tnet, lambda theta, x, y, alpha: None, iterations=3, seed=1, progress=False)
    assert "still the stub" in broken.error and len(broken.mlkit) == 3
    missing = checks.race_tnet(None, tnet_inner_step, iterations=2, progress=False)
    assert "not defined yet" in missing.error
