"""Checks of notebook 04's exercises: the LSTM meta-learner of Ravi & Larochelle (2017), written by the student.

- ``check_preprocess``: §3.2, every input x (a gradient coordinate, the loss) becomes two numbers,
  (log|x| / p, sign x) if |x| ≥ e^−p, else (−1, e^p · x), with p = 10;
- ``check_cell_step``: one step of the meta-learner's cell (§3.1), the gates computed from the first LSTM's output
  h_t, the cell state c_{t−1} = θ_{t−1} and the gate's own previous value, then
  c_t = f_t ⊙ c_{t−1} − i_t ⊙ ∇_t (eq. 2 with the candidate c̃_t = −∇_t);
- ``check_sgd_gates``: gate weights that make the cell one step of gradient descent (f_t = 1, i_t = α), checked
  through the student's own ``cell_step``.

Each compares the student's function with mlkit's ``LSTMMetaLearner`` (``mlkit.meta.lstm_meta``: ``preprocess``,
``GateCell``) on fixed small inputs and names the mistakes it recognises. The gates follow the authors' code as mlkit
implements it: the gate weights act on [h_t, c_{t−1}, previous pre-activation], and the value fed back is the gate's
pre-activation (before the sigmoid), zero at the first step.

``race_lstm`` then meta-trains the student's update inside Algorithm 1 beside mlkit's meta-learner, from the same
weights on the same episodes.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable

import torch
from torch import Tensor

from mlkit.checks import check_int, check_positive
from mlkit.exercises.feedback import Hint, call, close, expect_tensor, largest_difference, student_function
from mlkit.exercises.race import Race, descend, race
from mlkit.meta.losses import task_losses
from mlkit.meta.lstm_meta import GateCell, LSTMMetaLearner, preprocess as mlkit_preprocess
from mlkit.tasks.batch import TaskBatch

Gates = dict[str, Tensor]  # {"W_F": [hidden + 2], "b_F": [], "W_I": [hidden + 2], "b_I": []}
CellInputs = tuple[Tensor, Tensor, Tensor, Tensor, Tensor]  # h [n, hidden], c, grad, f_prev, i_prev [n]
GATE_NAMES = ("W_F", "b_F", "W_I", "b_I")
P = 10.0  # the paper's preprocessing constant
# The race runs in double precision. In float32 the student's sums and mlkit's differ in the last bit (1e-7); inside
# an episode such a difference can flip a discrete choice (the pixel a max-pooling window keeps, the side of zero of a
# ReLU input), and after about 40 episodes the two runs (both correct) part ways. In float64 they stay equal to about
# 1e-11 for 200 episodes and 1e-8 for 400 (seed 0, 5-shot); by 600 they too have parted.
RACE_DTYPE = torch.float64
HIDDEN = 20  # units of the first LSTM (§3.2): h_t has 20 numbers per coordinate
EQ_PRE = "(log|x| / p, sign x) if |x| ≥ e^−p, else (−1, e^p · x) (Ravi & Larochelle 2017, §3.2)"
EQ_CELL = "c_t = f_t ⊙ c_{t−1} − i_t ⊙ ∇_t (Ravi & Larochelle 2017, eq. 2 with c̃_t = −∇_t)"
EQ_GATES = "f_t = σ(W_F · [h_t, c_{t−1}, f_{t−1}] + b_F), i_t = σ(W_I · [h_t, c_{t−1}, i_{t−1}] + b_I)"


# --- exercise 1: the preprocessing of §3.2 -----------------------------------------------------------------

def fixed_inputs() -> Tensor:
    """Gradient-like values on both sides of e^−10 ≈ 4.5e-5, of both signs, and zero: [3, 6]."""
    return torch.tensor([[3.0, -3.0, 0.01, -0.01, 50.0, -0.2],
                         [1e-4, -1e-4, 2e-5, -2e-5, 6e-5, -4e-5],
                         [1e-7, -1e-7, 0.0, 1e-3, -1e-3, 1.0]])


def _threshold_example(x: Tensor, p: float, small_used: Tensor) -> str:
    """A sentence naming one input the student's code sent down the wrong branch."""
    threshold = math.exp(-p)
    wrong = (small_used != (x.abs() < threshold)).nonzero()
    value = float(x[tuple(wrong[0].tolist())])
    side = "above" if abs(value) >= threshold else "below"
    branch = "(−1, e^p · x)" if bool(small_used[tuple(wrong[0].tolist())]) else "(log|x| / p, sign x)"
    return f"x = {value:g} is {side} e^−p ≈ {threshold:.2g}, yet your code used {branch}"


def _which_branch(got: Tensor, x: Tensor, p: float) -> Tensor | None:
    """Where the student used the small-value branch, if every output is one of the two branches (else None)."""
    large = torch.stack([x.abs().log() / p, x.sign()], dim=-1)
    small = torch.stack([torch.full_like(x, -1.0), x * math.exp(p)], dim=-1)
    as_large = torch.isclose(got, large, atol=1e-5, rtol=1e-4).all(-1)
    as_small = torch.isclose(got, small, atol=1e-5, rtol=1e-4).all(-1)
    if not (as_large | as_small).all():
        return None
    return as_small & ~as_large | (as_small & as_large & (x.abs() < math.exp(-p)))


def check_preprocess(preprocess: Any) -> None:
    """The student's ``preprocess(x, p)``: x [...] -> [..., 2], the two numbers of §3.2 for every entry."""
    function = student_function(preprocess, "preprocess", ("x", "p"))
    x = fixed_inputs()
    got = call(function, "preprocess", x.clone(), P)
    if not isinstance(got, Tensor):
        raise Hint(f"preprocess should return a tensor of shape {tuple(x.shape) + (2,)}, got a {type(got).__name__}")
    if tuple(got.shape) in (tuple(x.shape), tuple(x.shape) + (1,)):
        one = got.reshape(x.shape).float()
        if close(one, mlkit_preprocess(x, P)[..., 0]):
            raise Hint("only the magnitude channel is there: the sign channel is missing. Every x becomes two "
                       f"numbers, {EQ_PRE}: stack both on a new last dimension")
        raise Hint(f"preprocess returned one number per x (shape {tuple(got.shape)}); it should return two, "
                   f"{EQ_PRE}, stacked on a new last dimension: shape {tuple(x.shape) + (2,)}")
    if tuple(got.shape) == (2,) + tuple(x.shape):
        raise Hint(f"the two numbers are stacked on the first dimension (shape {tuple(got.shape)}): stack them on a "
                   f"new last dimension, torch.stack([...], dim=-1), shape {tuple(x.shape) + (2,)}")
    if tuple(got.shape) != tuple(x.shape) + (2,):
        raise Hint(f"preprocess(x) has shape {tuple(got.shape)} for x of shape {tuple(x.shape)}; expected "
                   f"{tuple(x.shape) + (2,)}: two numbers for every entry of x, on a new last dimension")
    got = got.detach().float()
    if torch.isnan(got).any():
        negative = (x < 0) & torch.isnan(got).any(-1)
        if negative.any():
            raise Hint("NaN where x is negative: the log of a negative number is not defined. The first number is "
                       "log|x| / p: take the log of x.abs()")
        raise Hint(f"preprocess returned NaN for some x: {EQ_PRE}")
    want = mlkit_preprocess(x, P)
    if close(got, want):
        _check_other_p(function)
        return
    if close(got, want.flip(-1)):
        raise Hint("the two numbers are in the wrong order: first the magnitude (log|x| / p, or −1), then the sign "
                   "(sign x, or e^p · x)")
    small = x.abs() < math.exp(-P)
    if close(got[..., 1], want[..., 1]) and close(got[..., 0][~small], (x.abs().log10() / P)[~small]):
        raise Hint("the first number uses log10; the paper's log is the natural logarithm: torch.log")
    if close(got[..., 1], want[..., 1]) and close(got[..., 0][~small], x.abs().log()[~small]):
        raise Hint("the first number is log|x|, not divided by p: it should be log|x| / p")
    if close(got[..., 0], want[..., 0]) and close(got[..., 1][small], x[small]):
        raise Hint("below the threshold the second number is x itself; it should be e^p · x (the ramp that meets "
                   "sign x at |x| = e^−p)")
    if close(got[..., 0], want[..., 0]) and close(got[..., 1][small], x.sign()[small]):
        raise Hint("below the threshold the second number is sign x; it should be e^p · x (a ramp from −1 to 1, so "
                   "that tiny values near 0 give numbers near 0)")
    branch = _which_branch(got, x, P)
    if branch is not None:
        misrouted = branch != small
        hint = _threshold_example(x, P, branch)
        if (x[misrouted] < 0).all() and not branch[x > 0].ne(small[x > 0]).any():
            raise Hint(f"the threshold compares x, not |x|: {hint}. Compare x.abs() with e^−p")
        raise Hint(f"the branch switches at the wrong threshold: {hint}. The switch is at |x| = e^−p, "
                   "math.exp(-p) ≈ 4.5e-5 for p = 10")
    raise Hint(f"preprocess(x) differs from {EQ_PRE} (largest difference {largest_difference(got, want):.2g}), "
               "e.g. at x = 3 it should give (0.110, 1) and at x = 2e-5 (−1, 0.441)")


def _check_other_p(function: Callable[..., Any]) -> None:
    """The same function with p = 2 (threshold e^−2 ≈ 0.135): a hard-coded 10 is caught."""
    x = torch.tensor([0.5, -0.2, 0.1, -0.05, 1e-3, 3.0])
    got = call(function, "preprocess", x.clone(), 2.0)
    if isinstance(got, Tensor) and got.shape == (6, 2) and close(got.detach().float(), mlkit_preprocess(x, 2.0)):
        return
    if isinstance(got, Tensor) and got.shape == (6, 2) and close(got.detach().float(), mlkit_preprocess(x, P)):
        raise Hint("preprocess ignores its argument p (it uses 10 whatever p is): use p in the threshold e^−p, in "
                   "log|x| / p and in e^p · x")
    raise Hint(f"with p = 2 preprocess(x) differs from {EQ_PRE}: use the argument p everywhere (threshold e^−p, "
               "log|x| / p, e^p · x)")


# --- exercise 2: one step of the cell ------------------------------------------------------------------------

def gates_of(cell: GateCell) -> Gates:
    """mlkit's gate layer as the exercise's four tensors (new leaves that require gradients): W_F and W_I act on
    [h_t, c_{t−1}, previous pre-activation] (``GateCell`` keeps them as column 0 (forget) and 1 (input) of its
    weights for h, c and the feedback)."""
    with torch.no_grad():
        w_f = torch.cat([cell.w_hidden[:, 0], cell.w_cell[:1], cell.w_previous[:1]])
        w_i = torch.cat([cell.w_hidden[:, 1], cell.w_cell[1:], cell.w_previous[1:]])
        gates = {"W_F": w_f, "b_F": cell.bias[0].clone(), "W_I": w_i, "b_I": cell.bias[1].clone()}
    return {n: g.clone().requires_grad_(True) for n, g in gates.items()}


def reference_cell_step(h: Tensor, c: Tensor, grad: Tensor, f_prev: Tensor, i_prev: Tensor, gate: Gates, *,
                        roles_swapped: bool = False, weights_swapped: bool = False, sign: float = -1.0,
                        sigmoid: bool = True, feedback_crossed: bool = False, forget: bool = True,
                        returns_sigmoid: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """mlkit's reference for one cell step, as ``GateCell`` computes it (the keyword arguments model the checks'
    common mistakes): returns c_t [N] and the pre-activations of the forget and input gates [N]."""
    w_f, b_f, w_i, b_i = (gate[n] for n in GATE_NAMES)
    if weights_swapped:
        w_f, b_f, w_i, b_i = w_i, b_i, w_f, b_f
    hidden = h.shape[1]
    own_f, own_i = (i_prev, f_prev) if feedback_crossed else (f_prev, i_prev)
    f_pre = h @ w_f[:hidden] + c * w_f[hidden] + own_f * w_f[hidden + 1] + b_f
    i_pre = h @ w_i[:hidden] + c * w_i[hidden] + own_i * w_i[hidden + 1] + b_i
    f, i = (torch.sigmoid(f_pre), torch.sigmoid(i_pre)) if sigmoid else (f_pre, i_pre)
    if roles_swapped:
        f, i = i, f
    c_new = (f * c if forget else c) + sign * i * grad
    if returns_sigmoid:
        return c_new, torch.sigmoid(f_pre), torch.sigmoid(i_pre)
    return c_new, f_pre, i_pre


def fixed_cell_inputs(seed: int = 4, n: int = 7, hidden: int = HIDDEN) -> CellInputs:
    """h [n, hidden], c [n], grad [n], f_prev [n], i_prev [n]: leaves that require gradients, drawn from ``seed``.

    Previous pre-activations are not zero and the gates' biases differ (b_F = 1, b_I = −1), so that every input of
    the step, and which gate is which, changes the result."""
    g = torch.Generator().manual_seed(seed)
    h = torch.rand(n, hidden, generator=g) - 0.5
    c = torch.randn(n, generator=g)
    grad = torch.randn(n, generator=g)
    f_prev, i_prev = 2 * torch.randn(n, generator=g), 2 * torch.randn(n, generator=g) - 1
    h, c, grad, f_prev, i_prev = (t.requires_grad_(True) for t in (h, c, grad, f_prev, i_prev))
    return h, c, grad, f_prev, i_prev


def fixed_gates(seed: int = 5, hidden: int = HIDDEN) -> Gates:
    g = torch.Generator().manual_seed(seed)
    gates = {"W_F": 0.5 * torch.randn(hidden + 2, generator=g), "b_F": torch.tensor(1.0),
             "W_I": 0.5 * torch.randn(hidden + 2, generator=g), "b_I": torch.tensor(-1.0)}
    return {n: t.requires_grad_(True) for n, t in gates.items()}


def _step_outputs(value: Any, n: int) -> tuple[Tensor, Tensor, Tensor]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        got = type(value).__name__ + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
        raise Hint("cell_step should return three tensors, c_t and the pre-activations of the forget and input "
                   f"gates (return c_new, f_pre, i_pre); got a {got}")
    names = ("c_t", "the forget gate's pre-activation", "the input gate's pre-activation")
    return tuple(expect_tensor(v, f"cell_step's {what}", (n,)) for v, what in zip(value, names))  # type: ignore


def check_cell_step(cell_step: Any) -> None:
    """The student's ``cell_step(h, c, grad, f_prev, i_prev, gate)`` -> (c_t, f_pre, i_pre), differentiable."""
    function = student_function(cell_step, "cell_step", ("h", "c", "grad", "f_prev", "i_prev", "gate"))
    inputs, gate = fixed_cell_inputs(), fixed_gates()
    got = _step_outputs(call(function, "cell_step", *inputs, dict(gate)), len(inputs[1]))
    want = reference_cell_step(*inputs, gate)
    if not close(got[0], want[0]):
        mistakes: list[tuple[dict[str, Any], str]] = [
            (dict(roles_swapped=True), "the forget gate and the input gate are swapped: the forget gate f_t "
             "multiplies the old cell state c_{t−1}, the input gate i_t multiplies the gradient. " + EQ_CELL),
            (dict(weights_swapped=True), "the forget gate is computed with W_I, b_I and the input gate with W_F, "
             f"b_F: the gates are swapped. {EQ_GATES}"),
            (dict(sign=1.0), "c_t moves uphill: you added i_t ⊙ ∇_t. The candidate is the negative gradient, "
             f"c̃_t = −∇_t: {EQ_CELL}"),
            (dict(sigmoid=False), "the gates are used without their sigmoid: f_t = σ(f_pre) and i_t = σ(i_pre) "
             "lie between 0 and 1 (torch.sigmoid)"),
            (dict(feedback_crossed=True), "each gate should read its own previous value: the forget gate reads "
             f"f_prev and the input gate i_prev. {EQ_GATES}"),
            (dict(forget=False), "c_{t−1} is not multiplied by the forget gate: " + EQ_CELL),
        ]
        for kwargs, hint in mistakes:
            if close(got[0], reference_cell_step(*inputs, gate, **kwargs)[0]):
                raise Hint(hint)
        raise Hint(f"c_t differs from mlkit's (largest difference {largest_difference(got[0], want[0]):.2g}): "
                   f"{EQ_GATES}, where [h_t, c_{{t−1}}, f_{{t−1}}] is h with c and f_prev appended as two more "
                   f"columns; then {EQ_CELL}")
    if not close(list(got[1:]), list(want[1:])):
        if close(list(got[1:]), list(want[1:])[::-1]):
            raise Hint("c_t is right, but the pre-activations come back in the wrong order: return c_new, f_pre, "
                       "i_pre (forget first)")
        if close(list(got[1:]), [torch.sigmoid(w) for w in want[1:]]):
            raise Hint("c_t is right, but you returned the gates after the sigmoid: return their pre-activations "
                       "f_pre and i_pre (before σ), which the authors' code feeds back at the next step")
        raise Hint("c_t is right, but the returned pre-activations are not W_F · [h_t, c_{t−1}, f_{t−1}] + b_F and "
                   "W_I · [h_t, c_{t−1}, i_{t−1}] + b_I")
    _check_gradients(got, want, inputs, gate)


def _check_gradients(got: tuple[Tensor, ...], want: tuple[Tensor, ...], inputs: tuple[Tensor, ...],
                     gate: Gates) -> None:
    """Meta-training differentiates c_t with respect to the gate weights, h and c_{t−1}: the student's c_t must
    carry the same gradients as mlkit's."""
    leaves = [gate[n] for n in GATE_NAMES] + [inputs[0], inputs[1]]
    weights = torch.linspace(-1.0, 1.0, len(got[0]))  # a fixed direction, so that no gradient cancels by symmetry
    if not got[0].requires_grad:
        raise Hint("c_t is cut off from the gate weights (.detach(), .item(), torch.no_grad() or a new tensor): "
                   "meta-training must be able to differentiate c_t with respect to W_F, b_F, W_I and b_I")
    found = torch.autograd.grad((got[0] * weights).sum(), leaves, allow_unused=True, retain_graph=True)
    names = list(GATE_NAMES) + ["h", "c"]
    unused = [name for name, g in zip(names, found) if g is None]
    if unused:
        raise Hint(f"c_t does not depend on {', '.join(unused)} through the graph (cut off with .detach() or built "
                   "from copies): meta-training differentiates c_t with respect to the gate weights and inputs")
    expected = torch.autograd.grad((want[0] * weights).sum(), leaves, retain_graph=True)
    if not close(list(found), list(expected)):
        raise Hint("c_t has the right value but not the right gradients: compute it from the tensors passed in, "
                   "without .detach() or in-place changes")


# --- exercise 3: the cell as gradient descent ------------------------------------------------------------------

def _number(value: Any, what: str) -> Tensor:
    if isinstance(value, (int, float)):
        return torch.tensor(float(value))
    if isinstance(value, Tensor) and value.numel() == 1 and torch.is_floating_point(value):
        return value.reshape(())
    raise Hint(f"{what} should be one number (a float or a 0-d float tensor), got "
               f"{type(value).__name__}" + (f" of shape {tuple(value.shape)}" if isinstance(value, Tensor) else ""))


def _gate_dict(value: Any, hidden: int) -> Gates:
    if not isinstance(value, dict) or any(n not in value for n in GATE_NAMES):
        keys = list(value) if isinstance(value, dict) else type(value).__name__
        raise Hint(f"sgd_gates should return a dict with the keys {list(GATE_NAMES)}, got {keys}")
    for name in ("W_F", "W_I"):
        if isinstance(value[name], Tensor) and tuple(value[name].shape) != (hidden + 2,):
            raise Hint(f"sgd_gates(...)[{name!r}] has shape {tuple(value[name].shape)}, expected ({hidden + 2},): one "
                       f"weight for each of the {hidden} numbers of h_t, one for c_{{t−1}} and one for the previous "
                       "gate")
    return {"W_F": expect_tensor(value["W_F"], "sgd_gates(...)['W_F']", (hidden + 2,)),
            "b_F": _number(value["b_F"], "sgd_gates(...)['b_F']"),
            "W_I": expect_tensor(value["W_I"], "sgd_gates(...)['W_I']", (hidden + 2,)),
            "b_I": _number(value["b_I"], "sgd_gates(...)['b_I']")}


def _gate_values(gate: Gates, inputs: CellInputs) -> tuple[Tensor, Tensor]:
    """(f_t, i_t) [N] that ``gate`` gives on ``inputs``."""
    _, f_pre, i_pre = reference_cell_step(*inputs, {n: g.detach() for n, g in gate.items()})
    return torch.sigmoid(f_pre), torch.sigmoid(i_pre)


def check_sgd_gates(sgd_gates: Any, cell_step: Any) -> None:
    """The student's ``sgd_gates(alpha, hidden)`` makes their ``cell_step`` one SGD step: c_t = c_{t−1} − α ∇_t for
    any h, c, gradient and previous gates (checked at α = 0.1 and 0.01)."""
    function = student_function(sgd_gates, "sgd_gates", ("alpha", "hidden"))
    for alpha in (0.1, 0.01):
        h, c, grad, f_prev, i_prev = (t.detach() * 4 for t in fixed_cell_inputs(seed=6))  # large: to be ignored
        inputs = (h, c, grad, f_prev, i_prev)
        gate = _gate_dict(call(function, "sgd_gates", alpha, HIDDEN), HIDDEN)
        h, c, grad = inputs[:3]
        sgd = c - alpha * grad
        f, i = _gate_values(gate, inputs)
        depends = (gate["W_F"].detach().abs().max() > 0) or (gate["W_I"].detach().abs().max() > 0)
        if not torch.equal(f, torch.ones_like(f)):
            if depends and f.max() - f.min() > 1e-6:
                raise Hint("the forget gate changes with h, c and the previous gate: set W_F to zeros, so that "
                           "f_t = σ(b_F) whatever the inputs")
            raise Hint(f"the forget gate is σ(b_F) = {float(f.mean()):.6g}, not 1: the weights would shrink by "
                       f"{1 - float(f.mean()):.2g} of their size at every step (a weight decay). Take b_F so large "
                       "that σ(b_F) rounds to 1 in float32 (e.g. 30)")
        if not close(i, torch.full_like(i, alpha), atol=1e-7, rtol=1e-5):
            if depends and i.max() - i.min() > 1e-6:
                raise Hint("the input gate changes with h, c and the previous gate: set W_I to zeros, so that "
                           "i_t = σ(b_I) whatever the inputs")
            if abs(float(gate["b_I"]) - alpha) < 1e-6 * alpha:
                raise Hint(f"b_I = α gives i_t = σ(α) = {float(i.mean()):.4f}, not α: the sigmoid is in the way. "
                           "Solve σ(b_I) = α: b_I = log(α / (1 − α))")
            raise Hint(f"the input gate is σ(b_I) = {float(i.mean()):.4g}, it should be α = {alpha:g}: "
                       "b_I = log(α / (1 − α)) (the inverse of the sigmoid)")
        cell = student_function(cell_step, "cell_step", ("h", "c", "grad", "f_prev", "i_prev", "gate"))
        got = call(cell, "cell_step", *inputs, dict(gate))
        if not isinstance(got, (tuple, list)) or len(got) != 3 or not isinstance(got[0], Tensor) \
                or got[0].shape != c.shape or not close(got[0].detach(), sgd, atol=1e-6, rtol=1e-5):
            raise Hint("your gates give f_t = 1 and i_t = α, but your cell_step does not then return c − α ∇: "
                       "make cell_step pass its own check first")


# --- the student's update inside Algorithm 1 ------------------------------------------------------------------

class YourMetaLearner:
    """The meta-learner with the student's ``preprocess`` and ``cell_step`` in place of mlkit's (§3.1–3.2,
    Algorithm 1): the learner (its parameters are c_0) and the first LSTM are copies of ``meta``'s, the gate weights
    are ``gates_of(meta.layer2)``, so both start from the same numbers."""

    def __init__(self, meta: LSTMMetaLearner, preprocess: Callable[..., Tensor],
                 cell_step: Callable[..., tuple[Tensor, Tensor, Tensor]]) -> None:
        self.model = copy.deepcopy(meta)  # the learner (c_0) and layer 1; its layer 2 is not used
        self.gate = gates_of(meta.layer2)
        self.preprocess, self.cell_step = preprocess, cell_step

    def parameters(self) -> list[Tensor]:
        return [p for n, p in self.model.named_parameters() if not n.startswith("layer2.")] + list(self.gate.values())

    def run_episode(self, x_support: Tensor, y_support: Tensor, steps: int | None = None) -> Tensor:
        """c_T [T, n] after ``steps`` updates of c_0 on the support set, the gates those of the student's cell."""
        meta = self.model
        steps = meta.steps if steps is None else steps
        t, n = x_support.shape[0], meta.n_coordinates
        c = meta.initial_state(t)  # [T, n]
        state = (c.new_zeros(t * n, meta.hidden), c.new_zeros(t * n, meta.hidden))
        f_prev, i_prev = c.new_zeros(t * n), c.new_zeros(t * n)
        for _ in range(steps):
            with torch.enable_grad():  # the learner's loss and gradient, as constants (§3.3.1)
                theta = c.detach().requires_grad_(True)
                losses = task_losses(meta.learner(x_support, meta.weights_of(theta)), y_support, meta.task_type)
                grad, = torch.autograd.grad(losses.sum(), theta)  # [T, n]
            features = torch.cat([call(self.preprocess, "preprocess", losses.detach(), meta.p)
                                  .unsqueeze(1).expand(t, n, 2),
                                  call(self.preprocess, "preprocess", grad, meta.p)], dim=2)  # [T, n, 4]
            state = meta.layer1(features.reshape(t * n, 4), state)
            c_rows, f_prev, i_prev = call(self.cell_step, "cell_step", state[0], c.reshape(t * n),
                                          grad.reshape(t * n), f_prev, i_prev, self.gate)
            c = c_rows.view(t, n)
        return c

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        """Algorithm 1, lines 12–16: the query loss of the learner after the T updates."""
        c = self.run_episode(batch.x_support, batch.y_support)
        outputs = self.model.learner(batch.x_query, self.model.weights_of(c))
        return self.model.loss(outputs, batch.y_query).mean()


def _ready(function: Any, name: str, parameters: tuple[str, ...]) -> Callable[..., Any] | None:
    return None if function is None else student_function(function, name, parameters)


def in_race_precision(batch: TaskBatch) -> TaskBatch:
    """The episode's images in ``RACE_DTYPE`` (labels unchanged)."""
    return TaskBatch(batch.x_support.to(RACE_DTYPE), batch.y_support, batch.x_query.to(RACE_DTYPE), batch.y_query,
                     dict(batch.info))


def race_lstm(preprocess: Any, cell_step: Any, shots: int = 5, iterations: int = 100, seed: int = 0,
              progress: bool = True) -> tuple[Race, LSTMMetaLearner]:
    """Meta-train the student's meta-learner (their ``preprocess`` and ``cell_step`` inside Algorithm 1) and mlkit's
    ``LSTMMetaLearner`` from the same weights (``build_demo(shots, seed)``) on the same ``iterations`` training
    episodes (one per meta-iteration), each with Adam and the gradient-norm clip 0.25 of §5, both in ``RACE_DTYPE``.
    Returns the race and mlkit's trained meta-learner (in float32 and eval mode, ready for ``adapt``)."""
    from mlkit.live.lstm import build_demo, episodes

    iterations = check_int("iterations", iterations, 1)
    meta = build_demo(shots, seed).to(RACE_DTYPE)
    with torch.random.fork_rng(devices=[]):
        sampler = episodes("train", shots, seed)
        batches = [in_race_precision(sampler.sample()) for _ in range(iterations)]
    yours: YourMetaLearner | None = None
    problem = "`preprocess` and `cell_step` are not defined yet: run the cells that define them"
    try:
        pre = _ready(preprocess, "preprocess", ("x", "p"))
        cell = _ready(cell_step, "cell_step", ("h", "c", "grad", "f_prev", "i_prev", "gate"))
        if pre is not None and cell is not None:
            yours = YourMetaLearner(meta, pre, cell)
    except Hint as hint:
        problem = str(hint)
    student_optimizer = torch.optim.Adam(yours.parameters() if yours is not None else [torch.zeros(1)],
                                         lr=meta.meta_lr)
    mlkit_optimizer, _ = meta.configure_optimizer(iterations)
    meta.train()

    def student_step(batch: TaskBatch) -> float:
        if yours is None:
            raise Hint(problem)
        return descend(yours.meta_loss(batch), student_optimizer,
                       lambda: torch.nn.utils.clip_grad_norm_(yours.parameters(), meta.clip_grad_norm))

    def mlkit_step(batch: TaskBatch) -> float:
        return descend(meta.meta_loss(batch), mlkit_optimizer, meta.clip_gradients)

    result = race("LSTM meta-learner", student_step, mlkit_step, batches, progress=progress)
    return result, meta.float().eval()


def sgd_agreement(preprocess: Any, cell_step: Any, sgd_gates: Any, alpha: float = 0.1, steps: int = 5,
                  seed: int = 0) -> str:
    """The student's cell with their SGD gates, ``steps`` updates of a small ConvNet on one 5-way 5-shot episode,
    against as many steps of mlkit's gradient descent (``mlkit.meta.inner.inner_loop``) from the same weights: one
    line that says whether they are the same numbers. Never raises for a mistake in the student's code."""
    from mlkit.live.lstm import build_demo, episodes
    from mlkit.meta.inner import inner_loop

    alpha = check_positive("alpha", alpha)
    try:
        pre = _ready(preprocess, "preprocess", ("x", "p"))
        cell = _ready(cell_step, "cell_step", ("h", "c", "grad", "f_prev", "i_prev", "gate"))
        gates = _ready(sgd_gates, "sgd_gates", ("alpha", "hidden"))
        if pre is None or cell is None or gates is None:
            return "define preprocess, cell_step and sgd_gates above (each passing its check), then run this again"
        with torch.random.fork_rng(devices=[]):
            meta = build_demo(5, seed)
            batch = episodes("train", 5, seed).sample()
        yours = YourMetaLearner(meta, pre, cell)
        gate = _gate_dict(call(gates, "sgd_gates", alpha, meta.hidden), meta.hidden)
        yours.gate = {n: g.detach() for n, g in gate.items()}
        with torch.no_grad():
            found = yours.run_episode(batch.x_support, batch.y_support, steps)
    except Hint as hint:
        return f"not yet: {hint}"
    learner = meta.learner
    sgd = inner_loop(learner, learner.task_weights(1), batch.x_support, batch.y_support, steps=steps, alpha=alpha,
                     task_type="classification", names=learner.adaptable, create_graph=False, detach=True)
    sgd_cell = torch.cat([sgd[n].reshape(1, -1) for n in meta.names], dim=1)
    gap = float((found - sgd_cell).abs().max())
    moved = float((sgd_cell - meta.initial_state(1).detach()).abs().max())
    return (f"{steps} updates of your cell with your SGD gates against {steps} steps of gradient descent "
            f"(α = {alpha:g}) on a learner of {meta.n_coordinates} weights, which moved by up to {moved:.2f}: "
            f"the same numbers within 1e-5: {gap < 1e-5}")
