"""mlkit/exercises/lstm.py: notebook 04's checks accept the LSTM meta-learner as Ravi & Larochelle (2017) write it
(the preprocessing of §3.2, the cell step of §3.1 as the authors' code computes it, the gates that make it gradient
descent) and name each realistic mistake; the student's meta-learner races mlkit's to the same numbers."""
from __future__ import annotations

import math

import pytest
import torch

from mlkit.exercises import lstm
from mlkit.exercises.feedback import Hint


# --- the teacher's solutions, and realistic mistakes as options ----------------------------------------------

def preprocess(x, p, threshold=None, log=torch.log, divide=True, ramp=True, absolute=True, order=(0, 1),
               dim=-1, sign_channel=True):
    threshold = math.exp(-p) if threshold is None else threshold
    large = (x.abs() if absolute else x) >= threshold
    size = log(x.abs()) / (p if divide else 1.0)
    magnitude = torch.where(large, size, torch.full_like(x, -1.0))
    second = torch.where(large, torch.sign(x), math.exp(p) * x if ramp else x)
    if not sign_channel:
        return magnitude
    parts = [magnitude, second]
    return torch.stack([parts[i] for i in order], dim=dim)


def cell_step(h, c, grad, f_prev, i_prev, gate, swap_roles=False, swap_weights=False, sign=-1.0, sigmoid=True,
              crossed=False, forget=True, detach=False, return_sigmoid=False, order=(1, 2)):
    w_f, b_f, w_i, b_i = gate["W_F"], gate["b_F"], gate["W_I"], gate["b_I"]
    if swap_weights:
        w_f, b_f, w_i, b_i = w_i, b_i, w_f, b_f
    own_f, own_i = (i_prev, f_prev) if crossed else (f_prev, i_prev)
    f_pre = torch.cat([h, c[:, None], own_f[:, None]], dim=1) @ w_f + b_f
    i_pre = torch.cat([h, c[:, None], own_i[:, None]], dim=1) @ w_i + b_i
    f, i = (torch.sigmoid(f_pre), torch.sigmoid(i_pre)) if sigmoid else (f_pre, i_pre)
    if swap_roles:
        f, i = i, f
    c_new = (f * c if forget else c) + sign * i * grad
    if detach:
        c_new = c_new.detach()
    pres = (torch.sigmoid(f_pre), torch.sigmoid(i_pre)) if return_sigmoid else (f_pre, i_pre)
    out = (c_new, *pres)
    return out[0], out[order[0]], out[order[1]]


def sgd_gates(alpha, hidden, b_f=30.0, b_i=None, w=0.0):
    b_i = math.log(alpha / (1 - alpha)) if b_i is None else b_i
    return {"W_F": torch.full((hidden + 2,), w), "b_F": torch.tensor(b_f),
            "W_I": torch.full((hidden + 2,), w), "b_I": torch.tensor(b_i)}


def hint(check, *functions) -> str:
    with pytest.raises(Hint) as raised:
        check(*functions)
    return str(raised.value)


def test_the_teachers_solutions_pass() -> None:
    lstm.check_preprocess(preprocess)
    lstm.check_cell_step(cell_step)
    lstm.check_sgd_gates(sgd_gates, cell_step)


def test_solutions_written_otherwise_pass_too() -> None:
    """Other correct ways: clamp before the log, gates as python floats, a bias of 50."""
    def clamped(x, p):
        large = x.abs() >= math.exp(-p)
        first = torch.where(large, x.abs().clamp_min(math.exp(-p)).log() / p, -torch.ones_like(x))
        return torch.stack([first, torch.where(large, x.sign(), x * math.exp(p))], -1)

    def separate(h, c, grad, f_prev, i_prev, gate):
        n = h.shape[1]
        f_pre = h @ gate["W_F"][:n] + gate["W_F"][n] * c + gate["W_F"][n + 1] * f_prev + gate["b_F"]
        i_pre = h @ gate["W_I"][:n] + gate["W_I"][n] * c + gate["W_I"][n + 1] * i_prev + gate["b_I"]
        return torch.sigmoid(f_pre) * c - torch.sigmoid(i_pre) * grad, f_pre, i_pre

    lstm.check_preprocess(clamped)
    lstm.check_cell_step(separate)
    lstm.check_sgd_gates(lambda alpha, hidden: {"W_F": torch.zeros(hidden + 2), "b_F": 50.0,
                                                "W_I": torch.zeros(hidden + 2), "b_I": math.log(alpha / (1 - alpha))},
                         separate)


@pytest.mark.parametrize("wrong, words", [
    (lambda x, p: preprocess(x, p, sign_channel=False), "the sign channel is missing"),
    (lambda x, p: preprocess(x, p, sign_channel=False)[..., None], "the sign channel is missing"),
    (lambda x, p: preprocess(x, p, absolute=False), "compares x, not |x|"),
    (lambda x, p: preprocess(x, p, threshold=math.exp(p)), "wrong threshold"),
    (lambda x, p: preprocess(x, p, threshold=1 / p), "wrong threshold"),
    (lambda x, p: preprocess(x, p, threshold=1e-4), "x = 6e-05 is above e^−p"),
    (lambda x, p: torch.stack([torch.where(x.abs() >= math.exp(-p), torch.log(x) / p, -torch.ones_like(x)),
                               torch.where(x.abs() >= math.exp(-p), x.sign(), x * math.exp(p))], -1),
     "log of a negative number"),
    (lambda x, p: preprocess(x, p, log=torch.log10), "log10"),
    (lambda x, p: preprocess(x, p, divide=False), "not divided by p"),
    (lambda x, p: preprocess(x, p, ramp=False), "second number is x itself"),
    (lambda x, p: preprocess(x, p, order=(1, 0)), "wrong order"),
    (lambda x, p: preprocess(x, p, dim=0), "stacked on the first dimension"),
    (lambda x, p: preprocess(x, 10.0), "ignores its argument p"),
    (lambda x: preprocess(x, 10.0), "should take (x, p)"),
    (lambda x, p: ..., "still the stub"),
    (lambda x, p: x.numpy(), "should return a tensor"),
])
def test_preprocess_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(lstm.check_preprocess, wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda *a: cell_step(*a, swap_roles=True), "the forget gate and the input gate are swapped"),
    (lambda *a: cell_step(*a, swap_weights=True), "the gates are swapped"),
    (lambda *a: cell_step(*a, sign=1.0), "moves uphill"),
    (lambda *a: cell_step(*a, sigmoid=False), "without their sigmoid"),
    (lambda *a: cell_step(*a, crossed=True), "each gate should read its own previous value"),
    (lambda *a: cell_step(*a, forget=False), "not multiplied by the forget gate"),
    (lambda *a: cell_step(*a, detach=True), "cut off from the gate weights"),
    (lambda *a: cell_step(*a, return_sigmoid=True), "after the sigmoid"),
    (lambda *a: cell_step(*a, order=(2, 1)), "wrong order"),
    (lambda *a: cell_step(*a)[0], "should return three tensors"),
    (lambda h, c, grad, f_prev, i_prev, gate: cell_step(h, c.detach(), grad, f_prev, i_prev, gate),
     "does not depend on c"),
    (lambda h, c, grad, gate: None, "should take (h, c, grad, f_prev, i_prev, gate)"),
    (lambda h, c, grad, f_prev, i_prev, gate: None, "still the stub"),
    (lambda h, c, grad, f_prev, i_prev, gate: cell_step(h, c, grad, f_prev, i_prev, list(gate.values())),
     "`cell_step` raised TypeError"),
])
def test_cell_step_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(lstm.check_cell_step, wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda alpha, hidden: sgd_gates(alpha, hidden, b_f=5.0), "not 1: the weights would shrink"),
    (lambda alpha, hidden: sgd_gates(alpha, hidden, b_f=0.0), "the forget gate is σ(b_F) = 0.5"),
    (lambda alpha, hidden: sgd_gates(alpha, hidden, b_i=alpha), "b_I = α gives i_t = σ(α)"),
    (lambda alpha, hidden: sgd_gates(alpha, hidden, b_i=math.log(alpha)), "b_I = log(α / (1 − α))"),
    (lambda alpha, hidden: sgd_gates(alpha, hidden, w=0.01), "the input gate changes with h"),
    (lambda alpha, hidden: sgd_gates(alpha, hidden, b_f=5.0, w=0.3), "the forget gate changes with h"),
    (lambda alpha, hidden: {**sgd_gates(alpha, hidden), "W_F": torch.zeros(hidden)}, "has shape (20,)"),
    (lambda alpha, hidden: {"W_F": torch.zeros(hidden + 2)}, "with the keys"),
    (lambda alpha: None, "should take (alpha, hidden)"),
    (lambda alpha, hidden: None, "still the stub"),
])
def test_sgd_gates_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(lstm.check_sgd_gates, wrong, cell_step)


def test_right_gates_with_a_wrong_cell_send_the_student_to_the_cell() -> None:
    text = hint(lstm.check_sgd_gates, sgd_gates, lambda *a: cell_step(*a, sign=1.0))
    assert "make cell_step pass its own check first" in text


def test_the_checks_leave_the_global_random_numbers_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    lstm.check_preprocess(preprocess)
    lstm.check_cell_step(cell_step)
    lstm.check_sgd_gates(sgd_gates, cell_step)
    assert torch.equal(torch.rand(3), expected)


# --- the student's meta-learner trained, and the SGD agreement ------------------------------------------------

def test_the_students_meta_learner_races_mlkits_to_the_same_numbers() -> None:
    race, meta = lstm.race_lstm(preprocess, cell_step, shots=5, iterations=6, seed=0, progress=False)
    assert race.error is None and len(race.student) == len(race.mlkit) == 6
    assert race.agree() and race.largest_difference < 1e-10, race.largest_difference
    assert next(meta.parameters()).dtype == torch.float32 and not meta.training


def test_a_wrong_cell_loses_the_race_and_a_missing_one_is_named() -> None:
    race, _ = lstm.race_lstm(preprocess, lambda *a: cell_step(*a, swap_roles=True), iterations=3, progress=False)
    assert race.error is None and not race.agree()
    race, _ = lstm.race_lstm(preprocess, None, iterations=2, progress=False)
    assert "not defined yet" in race.error and len(race.mlkit) == 2
    assert "stopped after 0 of 2" in race.report()


def test_sgd_agreement_says_true_for_the_solutions_and_names_a_missing_function() -> None:
    line = lstm.sgd_agreement(preprocess, cell_step, sgd_gates, alpha=0.1)
    assert line.endswith("the same numbers within 1e-5: True"), line
    wrong = lstm.sgd_agreement(preprocess, cell_step, lambda alpha, hidden: sgd_gates(alpha, hidden, b_f=5.0))
    assert wrong.endswith("False"), wrong
    assert "define preprocess, cell_step and sgd_gates" in lstm.sgd_agreement(preprocess, None, sgd_gates)
    assert lstm.sgd_agreement(preprocess, cell_step, lambda alpha, hidden: ...).startswith("not yet: `sgd_gates`")


def test_gates_of_mlkits_cell_reproduce_its_step() -> None:
    torch.manual_seed(0)
    from mlkit.meta.lstm_meta import GateCell

    cell = GateCell(20, (4.0, 6.0), (-5.0, -4.0))
    h, c, grad, f_prev, i_prev = (t.detach() for t in lstm.fixed_cell_inputs())
    want, pre = cell(h, c, torch.stack([f_prev, i_prev], 1), grad)
    got, f_pre, i_pre = cell_step(h, c, grad, f_prev, i_prev, lstm.gates_of(cell))
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(torch.stack([f_pre, i_pre], 1), pre)
