"""The LSTM meta-learner of Ravi & Larochelle (2017): an LSTM whose cell state is the learner's weights.

Gradient descent, θ_t = θ_{t−1} − α_t ∇_t (their eq. 1), is the LSTM cell update of their eq. 2,
c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t, with c = θ, f = 1, i = α and c̃ = −∇ (§3.1). The meta-learner keeps that update
and learns the two gates, which §3.1 defines (the two equations after eq. 2) on the gradient, the loss, the
current weights and the gate's own previous value:

    i_t = σ(W_I · [∇_t, L_t, θ_{t−1}, i_{t−1}] + b_I),   f_t = σ(W_F · [∇_t, L_t, θ_{t−1}, f_{t−1}] + b_F).

In the two-layer network of §3.2 (and the reference code) ∇_t and L_t reach the gates through h_t, the output of
an ordinary LSTM (layer 1, hidden 20) fed the preprocessed loss and gradient (p = 10); with c_{t−1} = θ_{t−1}:

    i_t = σ(W_I · [h_t, c_{t−1}, i_{t−1}] + b_I),   f_t = σ(W_F · [h_t, c_{t−1}, f_{t−1}] + b_F),
    c_t = f_t ⊙ c_{t−1} − i_t ⊙ ∇_t                                          (eq. 2 with c̃_t = −∇_t)

where ∇_t is the raw gradient. Every coordinate of θ is its own sequence with its own states, and all of
them share the meta-learner's weights (§3.2), so the coordinates of all tasks of a meta-batch go through the LSTM
as one batch of rows [T·n, ...]: no loop over parameters or tasks. c_0 is a meta-parameter: the learner's own
parameters (§3.1, "learn the initial value of the cell state").

Details from the authors' public code (twitter/meta-learning-lstm, and markdtw's PyTorch port):
- the i_{t−1}, f_{t−1} fed back are the pre-sigmoid values, starting from 0;
- initialisation U(−0.01, 0.01), forget bias U(4, 6) (markdtw; the Lua code uses U(4, 5)), input bias U(−5, −4)
  (§3.3.2): the meta-learner starts as gradient descent with f ≈ 0.99 and a step i ≈ 0.01;
- the learner's loss and gradient enter as constants (§3.3.1, no second derivatives); the meta-gradient flows
  through the chain of cell states and the gates;
- batch norm (§3.4): fresh running statistics every episode, batch statistics during the T training steps (which
  also update the running averages), then batch statistics for the query during meta-training and the episode's
  running averages at meta-test time (``adapt``);
- the reference code divides the learner's gradient by the batch size a second time; we feed the gradient of
  the mean loss (the learned input gate absorbs any constant scale).
Outer loop: Adam 1e-3 and global gradient-norm clipping 0.25 (§5). Algorithm 1 is ``meta_loss``.
"""
from __future__ import annotations

import math
import re
from typing import Any

import torch
from torch import Tensor, nn

from mlkit.checks import check_int, check_positive, check_range
from mlkit.learners import ConvNet, Learner
from mlkit.learners.conv import RunningStats
from mlkit.meta.adapt_inputs import check_support, checked_queries
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.losses import task_losses
from mlkit.tasks.batch import TaskBatch

# Rows pushed through the LSTM per call when no graph is built (meta-testing). All T·n rows at once (181 725 for
# 25 episodes of the 7269-coordinate learner) make every gate tensor tens of MB; chunks this size stay in the CPU's
# cache: the same numbers (each row's update depends on that row alone), meta-testing about 1.4x as fast on this
# project's 2-core machine (`python -m mlkit bench lstm`). Training keeps one call: chunks would change the order
# in which the LSTM's weight gradients are summed, and with it the trained weights' last bits.
EVAL_ROWS_PER_CALL = 8192


def preprocess(x: Tensor, p: float = 10.0) -> Tensor:
    """§3.2 (after Andrychowicz et al. 2016): x [...] -> [..., 2].

    (log|x| / p, sign x) if |x| ≥ e^−p, else (−1, e^p · x): magnitude and sign on comparable scales.
    """
    p = check_positive("p", p)
    large = x.abs() >= math.exp(-p)
    magnitude = torch.where(large, x.abs().clamp_min(math.exp(-p)).log() / p, torch.full_like(x, -1.0))
    direction = torch.where(large, x.sign(), x * math.exp(p))
    return torch.stack([magnitude, direction], dim=-1)


class GateCell(nn.Module):
    """Layer 2 of the meta-learner: the forget and input gates and the cell update of eq. 2, per coordinate.

    Both gates read [h_t, c_{t−1}, own previous pre-activation]; their weights are (hidden + 2) x 1 each, kept
    as one [hidden, 2] matrix for h and [2] vectors for c and the feedback (column 0: forget, 1: input).
    """

    def __init__(self, hidden: int, forget_bias: tuple[float, float], input_bias: tuple[float, float]) -> None:
        super().__init__()
        self.w_hidden = nn.Parameter(torch.empty(hidden, 2).uniform_(-0.01, 0.01))
        self.w_cell = nn.Parameter(torch.empty(2).uniform_(-0.01, 0.01))
        self.w_previous = nn.Parameter(torch.empty(2).uniform_(-0.01, 0.01))
        self.bias = nn.Parameter(torch.stack([torch.empty(()).uniform_(*forget_bias),
                                              torch.empty(()).uniform_(*input_bias)]))

    def forward(self, h: Tensor, c: Tensor, previous: Tensor, grad: Tensor) -> tuple[Tensor, Tensor]:
        """h [N, hidden], c [N], previous pre-activations [N, 2] (forget, input), raw gradient [N]
        -> new cell state c_t [N] and this step's pre-activations [N, 2]."""
        pre = h @ self.w_hidden + c.unsqueeze(1) * self.w_cell + previous * self.w_previous + self.bias  # [N, 2]
        forget, inputs = torch.sigmoid(pre).unbind(1)  # [N] each
        return forget * c - inputs * grad, pre


def layer_groups(learner: Learner) -> dict[str, list[str]]:
    """The learner's adaptable parameters grouped by layer: ``{"layer 1": ["conv0", "gamma0", "beta0"], ...}``.

    Parameters named with a block index (conv2, gamma2, w1, b1) join that block; the rest (fc_w, fc_b: the head)
    form the last layer, as in Figure 3 (layers 1–4 the convolutions, layer 5 the linear layer).
    """
    blocks: dict[int, list[str]] = {}
    head = []
    for name in learner.adaptable:
        found = re.search(r"(\d+)$", name)
        (blocks.setdefault(int(found.group(1)), []) if found else head).append(name)
    groups = [blocks[i] for i in sorted(blocks)] + ([head] if head else [])
    return {f"layer {k + 1}": names for k, names in enumerate(groups)}


class LSTMMetaLearner(MetaLearner):
    """Ravi & Larochelle's meta-learner: ``steps`` LSTM-proposed updates of the learner per episode.

    Ravi & Larochelle (2017), §3 and Algorithm 1: the cell update of eq. 2 with learned gates.

    Args:
        learner: the classifier (a ``ConvNet`` for the running batch-norm statistics); its parameters are c_0.
        steps: updates T per episode (paper: 12 for 1-shot, 5 for 5-shot; reference code: 8 for 5-shot).
        hidden: units of the layer-1 LSTM (20).
        p: preprocessing constant (10).
        forget_bias, input_bias: ranges of the uniform initial gate biases.
        bn_momentum: weight of the newest batch in the episode's running batch-norm averages (reference code:
            0.9 for 1-shot, 0.95 for 5-shot).
        coordinates: the cell-state size the meta-learner was built for (None: the learner's parameter count);
            a learner of another size is refused.
    """

    name = "lstm-meta"
    clip_grad_norm = 0.25

    def __init__(
        self, learner: Learner, task_type: str = "classification", meta_lr: float = 1e-3, steps: int = 12,
        hidden: int = 20, p: float = 10.0, forget_bias: tuple[float, float] = (4.0, 6.0),
        input_bias: tuple[float, float] = (-5.0, -4.0), bn_momentum: float = 0.9, coordinates: int | None = None,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        self.steps = check_int("steps", steps, 1)
        self.hidden = check_int("hidden", hidden, 1)
        self.p = check_positive("p", p)
        self.bn_momentum = check_range("bn_momentum", bn_momentum, 1e-6, 1.0)
        self.names = tuple(learner.adaptable)
        self.shapes = [tuple(getattr(learner, n).shape) for n in self.names]
        self.sizes = [math.prod(s) for s in self.shapes]
        self.n_coordinates = sum(self.sizes)
        if coordinates is not None and check_int("coordinates", coordinates, 1) != self.n_coordinates:
            raise ValueError(
                f"learner has {self.n_coordinates} adaptable parameters but the meta-learner's cell state c has "
                f"coordinates={coordinates}; build the meta-learner with the learner it was trained with"
            )
        self.layer1 = nn.LSTMCell(4, hidden)  # preprocessed (loss, gradient) -> h_t, per coordinate
        for weight in self.layer1.parameters():
            nn.init.uniform_(weight, -0.01, 0.01)
        self.layer2 = GateCell(hidden, tuple(forget_bias), tuple(input_bias))
        self.hparams = {
            "steps": self.steps, "hidden": self.hidden, "p": self.p, "forget_bias": list(forget_bias),
            "input_bias": list(input_bias), "bn_momentum": self.bn_momentum, "coordinates": self.n_coordinates,
        }

    # -- the cell state c is the learner's flat parameter vector ------------------------------------------------
    def initial_state(self, n_tasks: int) -> Tensor:
        """c_0 for every task: the learner's parameters, flattened in ``self.names`` order: [T, n]."""
        flat = torch.cat([getattr(self.learner, n).reshape(-1) for n in self.names])  # [n]
        return flat.unsqueeze(0).expand(n_tasks, -1)

    def weights_of(self, c: Tensor) -> dict[str, Tensor]:
        """Cell state [T, n] -> task weights {name: [T, *shape]} for the learner (views, gradients flow)."""
        if c.dim() != 2 or c.shape[1] != self.n_coordinates:
            raise ValueError(f"cell state must have shape [tasks, {self.n_coordinates}] (the learner's parameter "
                             f"count), got {tuple(c.shape)}")
        t = c.shape[0]
        parts = c.split(self.sizes, dim=1)
        weights = {n: part.reshape(t, *shape) for n, part, shape in zip(self.names, parts, self.shapes)}
        fixed = {n: w for n, w in self.learner.task_weights(t).items() if n not in weights}  # e.g. T-net matrices
        return {**fixed, **weights}

    def layer_slices(self) -> dict[str, slice]:
        """Where each learner layer (``layer_groups``) lives in c: ``{"layer 1": slice(0, 320), ...}``."""
        offsets, start = {}, 0
        for name, size in zip(self.names, self.sizes):
            offsets[name] = slice(start, start + size)
            start += size
        return {layer: slice(offsets[names[0]].start, offsets[names[-1]].stop)
                for layer, names in layer_groups(self.learner).items()}

    def _learner(self, x: Tensor, weights: dict[str, Tensor], running: RunningStats | None) -> Tensor:
        return self.learner(x, weights) if running is None else self.learner(x, weights, running)

    # -- one episode of T updates, all tasks and coordinates at once (Algorithm 1, lines 5-11) ------------------
    def _lstm_rows(self, features: Tensor, h: Tensor, cell: Tensor, c: Tensor, previous: Tensor,
                   grad: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Both LSTM layers on a set of coordinate rows: features [R, 4], layer-1 state h, cell [R, hidden],
        c [R], previous gate pre-activations [R, 2], gradient [R] -> new h, cell, c_t [R], pre-activations [R, 2]."""
        h, cell = self.layer1(features, (h, cell))
        c, previous = self.layer2(h, c, previous, grad)
        return h, cell, c, previous

    def run_episode(
        self, x_support: Tensor, y_support: Tensor, steps: int | None = None, running: RunningStats | None = None,
        record: bool = False, rows_per_call: int | None = None,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Update c_0 ``steps`` times on the support set; returns c_T [T, n] and, with ``record``, the gates
        ``{"forget": [steps, T, n], "input": [steps, T, n]}`` (after the sigmoid).

        ``rows_per_call``: push the T·n coordinate rows through the LSTM that many at a time (default: all at
        once while a graph is built, ``EVAL_ROWS_PER_CALL`` under ``torch.no_grad``; 1 is the per-coordinate loop
        the benchmark compares against; the results are the same)."""
        steps = self.steps if steps is None else check_int("steps", steps, 1)
        if rows_per_call is None and not torch.is_grad_enabled():
            rows_per_call = EVAL_ROWS_PER_CALL
        t, n = x_support.shape[0], self.n_coordinates
        c = self.initial_state(t)  # [T, n]
        state = (c.new_zeros(t * n, self.hidden), c.new_zeros(t * n, self.hidden))  # layer-1 (h, cell) per row
        previous = c.new_zeros(t * n, 2)  # pre-sigmoid (forget, input) of the last step
        gates: dict[str, list[Tensor]] = {"forget": [], "input": []}
        for _ in range(steps):
            with torch.enable_grad():  # the learner's loss and gradient, as constants (§3.3.1)
                theta = c.detach().requires_grad_(True)  # [T, n]
                losses = task_losses(self._learner(x_support, self.weights_of(theta), running), y_support,
                                     self.task_type)  # [T]
                grad, = torch.autograd.grad(losses.sum(), theta)  # [T, n]: task t's own gradient in row t
            features = torch.cat([preprocess(losses.detach(), self.p).unsqueeze(1).expand(t, n, 2),
                                  preprocess(grad, self.p)], dim=2)  # [T, n, 4]
            rows = (features.reshape(t * n, 4), *state, c.reshape(t * n), previous, grad.reshape(t * n))
            if rows_per_call is None:
                h, cell, c_rows, previous = self._lstm_rows(*rows)
            else:
                chunks = [self._lstm_rows(*chunk) for chunk in zip(*[r.split(rows_per_call) for r in rows])]
                h, cell, c_rows, previous = [torch.cat(parts) for parts in zip(*chunks)]
            state, c = (h, cell), c_rows.view(t, n)
            if record:
                forget, inputs = torch.sigmoid(previous.detach()).unbind(1)  # [T*n] each
                gates["forget"].append(forget.view(t, n))
                gates["input"].append(inputs.view(t, n))
        return c, ({k: torch.stack(v) for k, v in gates.items()} if record else {})

    # -- the two faces ------------------------------------------------------------------------------------------
    def meta_loss(self, batch: TaskBatch) -> Tensor:
        """Algorithm 1, lines 12-16: the query loss of the updated learner (batch statistics throughout)."""
        c, _ = self.run_episode(batch.x_support, batch.y_support)
        outputs = self.learner(batch.x_query, self.weights_of(c))  # [T, Q, N]
        return self.loss(outputs, batch.y_query).mean()

    def adapt(self, x_support: Tensor, y_support: Tensor, steps: int | None = None, running_stats: bool = True,
              record: bool = True) -> Predictor:
        """Meta-test an episode: ``steps`` updates, the query then normalised with the episode's running
        averages (``running_stats=False``: with its own batch statistics, as in meta-training).

        ``extras``: ``"forget"`` and ``"input"`` gate values [steps, T, n] (with ``record``), ``"cell"`` c_T
        [T, n] and ``"layers"`` (``layer_slices``)."""
        check_support(self.learner, self.task_type, x_support, y_support)
        running = None  # only a ConvNet has batch norm to keep statistics for
        if running_stats and isinstance(self.learner, ConvNet):
            running = RunningStats.for_learner(self.learner, x_support.shape[0], self.bn_momentum, x_support.device)
        with torch.no_grad():
            c, gates = self.run_episode(x_support, y_support, steps, running, record)
        if running is not None:
            running.update = False
        weights = self.weights_of(c)
        extras: dict[str, Any] = {**gates, "cell": c, "layers": self.layer_slices()}
        forward = checked_queries(lambda x: self._learner(x, weights, running), self.learner, x_support.shape[0])
        return Predictor(forward, self.task_type, extras)


def layer_gates(extras: dict[str, Any], generator: torch.Generator | None = None) -> dict[str, dict[str, Tensor]]:
    """Per-layer gate summary for Figure 3, from the ``extras`` of ``LSTMMetaLearner.adapt``.

    For each layer: ``"coordinate"`` (one coordinate of c drawn at random in that layer, as in the paper),
    ``"forget"`` and ``"input"`` at that coordinate [steps, T] (one curve per episode), and
    ``"forget_mean"``, ``"input_mean"`` averaged over all the layer's coordinates [steps, T].
    """
    out = {}
    for layer, where in extras["layers"].items():
        index = where.start + int(torch.randint(where.stop - where.start, (1,), generator=generator))
        out[layer] = {
            "coordinate": torch.tensor(index),
            "forget": extras["forget"][:, :, index], "input": extras["input"][:, :, index],
            "forget_mean": extras["forget"][:, :, where].mean(-1), "input_mean": extras["input"][:, :, where].mean(-1),
        }
    return out


def gate_table(gates: dict[str, dict[str, Tensor]]) -> dict[str, dict[str, float]]:
    """Figure 3 in numbers, per layer: mean forget gate (all coordinates, updates, episodes), mean input gate,
    and the spread of the input gate across episodes (std over episodes, averaged over updates) at the random
    coordinate and for the layer mean."""
    return {layer: {"forget_mean": float(g["forget_mean"].mean()), "input_mean": float(g["input_mean"].mean()),
                    "input_spread_coordinate": float(g["input"].std(1).mean()),
                    "input_spread_layer_mean": float(g["input_mean"].std(1).mean())} for layer, g in gates.items()}
