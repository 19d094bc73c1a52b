"""Checks of notebook 03's exercises: one MT-net step written by the student (Lee 2018, MSc thesis, §3.2).

An MT-net is a T-net whose inner update is masked, W' = W − α M ⊙ ∇_W L (eq. 3.6). Output unit j of a layer has a
meta-learned logit ζ_j; the unit's column of M (its incoming weights, and its bias) is 1 with probability σ(ζ_j)
(eq. 3.7), one mask per task. The mask is drawn with the straight-through Gumbel-softmax over the two logits [ζ, 0]
(eqs. 3.8–3.9; Jang, Gu & Poole 2017): with Gumbel noises g_i = −log(−log u_i) of uniform u_i and a temperature c,

    s = σ((ζ + g_1 − g_2) / c),    M = 1[s > ½] in the forward pass, ∂M/∂ζ = ∂s/∂ζ in the backward pass.

- ``check_sample_mask``: the student's ``sample_mask(zeta, u1, u2, temperature)`` against mlkit's
  ``mlkit.meta.masks.straight_through_mask`` fed the same noise (values and gradient to ζ);
- ``check_masked_inner_step``: θ' = θ − α M ⊙ ∇_θ L for every W and b (T unchanged), against mlkit's inner loop
  with the same masks, gradients to θ and to ζ included;
- ``check_fraction_updated``: the expected fraction of a layer's weights an adaptation updates, mean σ(ζ)
  (the quantity of the thesis's Figure 6.1);
- ``race_mtnet``: the student's MT-net (their masks and masked step in the given T-net) meta-trained beside mlkit's
  ``MTNet`` from the same seed, on the same meta-batches and the same uniform draws.

mlkit draws its Gumbel noise from torch's global generator (``gumbel_noise``); to compare with the student's masks,
the checks and the race replace it for the duration of one call by noise made from the uniform draws the student's
function receives (``given_noise``). Fixed inputs come from seeded ``torch.Generator``s.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence
from unittest import mock

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int, check_positive
from mlkit.exercises import tnet as tnet_checks
from mlkit.exercises.feedback import (Hint, call, close, expect_tensor, expect_weights, largest_difference,
                                      student_function)
from mlkit.exercises.race import Race, descend, race
from mlkit.meta import masks as mlkit_masks
from mlkit.meta.inner import inner_loop
from mlkit.tasks.batch import TaskBatch

Weights = dict[str, Tensor]
Masks = dict[str, Tensor]  # {layer's weight name ("w0", "w1", "w2"): 0/1 mask [units]}
ALPHA = 0.1  # the checks' step size
TEMPERATURE = 0.5  # the checks' temperature c: not 1, so that a step that ignores it shows
SAMPLE = "s = σ((ζ + g1 − g2) / c) with g_i = −log(−log u_i), M = 1[s > ½], gradient of s (Lee 2018, eqs. 3.7–3.9)"
STEP = "θ' = θ − α M ⊙ ∇_θ L(θ): W and b of each layer with that layer's mask, T unchanged (Lee 2018, eq. 3.6)"


# --- mlkit's masks, fed given noise ------------------------------------------------------------------------

def gumbel(u: Tensor) -> Tensor:
    """Gumbel(0, 1) noise from uniform draws u in (0, 1): g = −log(−log u)."""
    return -torch.log(-torch.log(u))


@contextmanager
def given_noise(noises: Sequence[Tensor]) -> Iterator[None]:
    """mlkit's ``gumbel_noise`` returns ``noises`` in order instead of drawing from the global generator (each call
    must ask for the shape of the next one)."""
    queue = list(noises)

    def next_noise(shape: tuple[int, ...], like: Tensor) -> Tensor:
        if not queue:
            raise RuntimeError("mlkit asked for more Gumbel noise than was given")
        noise = queue.pop(0)
        if tuple(noise.shape) != tuple(shape):
            raise RuntimeError(f"mlkit asked for Gumbel noise of shape {tuple(shape)}, the next given is "
                               f"{tuple(noise.shape)}")
        return noise.to(like.dtype)

    with mock.patch.object(mlkit_masks, "gumbel_noise", next_noise):
        yield
    if queue:
        raise RuntimeError(f"{len(queue)} given Gumbel noises were not used")


def reference_mask(zeta: Tensor, u1: Tensor, u2: Tensor, temperature: float) -> Tensor:
    """mlkit's straight-through mask (``straight_through_mask``) of one task, with g_i = −log(−log u_i)."""
    with given_noise([gumbel(u1)[None], gumbel(u2)[None]]):
        return mlkit_masks.straight_through_mask(zeta, 1, temperature)[0]


def relaxed(zeta: Tensor, g1: Tensor, g2: Tensor, temperature: float) -> Tensor:
    """The relaxed sample s = σ((ζ + g1 − g2)/c)."""
    return torch.sigmoid((zeta + g1 - g2) / temperature)


def fixed_noise(units: int, seed: int) -> tuple[Tensor, Tensor]:
    """Two uniform draws u1, u2 in (0, 1), [units] each."""
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.rand(units, generator=generator).clamp_min(1e-6) for _ in range(2))  # type: ignore[return-value]


# --- exercise 1: the mask ----------------------------------------------------------------------------------

def check_sample_mask(sample_mask: Any) -> None:
    """The student's ``sample_mask(zeta, u1, u2, temperature)`` returns the straight-through Gumbel-softmax mask of
    one task [units]: hard 0/1 values, the relaxed sample's gradient to ζ."""
    function = student_function(sample_mask, "sample_mask", ("zeta", "u1", "u2", "temperature"))
    units, c = 64, TEMPERATURE
    generator = torch.Generator().manual_seed(11)
    zeta_values = 2.0 * torch.randn(units, generator=generator)
    u1, u2 = fixed_noise(units, 12)
    zeta = zeta_values.clone().requires_grad_(True)
    result = call(function, "sample_mask", zeta, u1.clone(), u2.clone(), c)
    if isinstance(result, Tensor) and result.dtype == torch.bool:
        raise Hint("the mask holds True/False: make it a float 0/1 tensor that keeps a gradient to ζ "
                   "(straight-through: hard + (s − s.detach()))")
    got = expect_tensor(result, "sample_mask's M", (units,))
    again = call(function, "sample_mask", zeta_values.clone(), u1.clone(), u2.clone(), c)
    if not (isinstance(again, Tensor) and again.shape == got.shape and torch.equal(again.detach(), got.detach())):
        raise Hint("two calls with the same ζ, u1 and u2 gave different masks: draw no random numbers of your own; "
                   "make the Gumbel noises from the given uniforms, g_i = −log(−log u_i)")
    g1, g2 = gumbel(u1), gumbel(u2)
    soft = relaxed(zeta_values, g1, g2, c)
    want = reference_mask(zeta_values.clone().requires_grad_(True), u1, u2, c)
    values = got.detach()
    if not bool(((values - values.round()).abs() < 1e-5).all()):
        if close(values, soft):
            raise Hint("the mask is not binary: you returned the relaxed sample s itself. The forward value must be "
                       "the hard 1[s > ½] and only the gradient s's: M = hard + (s − s.detach())")
        if close(values, torch.sigmoid(zeta_values)):
            raise Hint("this is σ(ζ), the probability that a unit is updated: the mask is a sample, 1 with that "
                       f"probability. {SAMPLE}")
        raise Hint(f"the mask is not binary (values between 0 and 1): the forward value must be 0 or 1. {SAMPLE}")
    if not torch.equal(values.round(), want.detach()):
        hard = lambda x: (x > 0).to(values.dtype)  # noqa: E731  (1[s > ½] for s = σ(x / c))
        known = [
            (hard(-zeta_values + g1 - g2), "the sigmoid has the wrong sign: with σ((−ζ + g1 − g2)/c) a unit is "
                                            f"updated with probability σ(−ζ), not σ(ζ). {SAMPLE}"),
            (1 - hard(zeta_values + g1 - g2), "the mask is inverted (1 where s < ½): a unit is updated when s > ½, "
                                              f"which happens with probability σ(ζ). {SAMPLE}"),
            (hard(zeta_values + u1 - u2), "the uniforms are used as the noise: turn each into Gumbel noise first, "
                                          f"g = −log(−log u). {SAMPLE}"),
            (hard(zeta_values - torch.log(u1) + torch.log(u2)),
             f"one log is missing: Gumbel noise is g = −log(−log u), not −log u. {SAMPLE}"),
            (hard(zeta_values + g2 - g1), f"g1 and g2 are swapped: g1 (from u1) is the noise of ζ's logit, g2 (from "
                                          f"u2) that of the other logit, 0. {SAMPLE}"),
            (hard(zeta_values + g1), "the second noise is missing: the other logit (0) gets its own Gumbel noise g2, "
                                     f"so s = σ((ζ + g1 − g2)/c). {SAMPLE}"),
            (hard(zeta_values + g1 + g2), f"g2 is added: it belongs to the other logit, so it is subtracted. {SAMPLE}"),
            (hard(zeta_values), "the mask ignores the noise: it is the most likely mask 1[ζ > 0], the same for every "
                                f"task. A sample needs the noise. {SAMPLE}"),
        ]
        for model, hint in known:
            if torch.equal(values.round(), model):
                raise Hint(hint)
        wrong = int((values.round() != want.detach()).sum())
        raise Hint(f"{wrong} of {units} mask values differ from the straight-through Gumbel-softmax sample: {SAMPLE}")
    if not got.requires_grad:
        raise Hint("the mask is hard but passes no gradient to ζ, so meta-training could not learn ζ: "
                   "straight-through, M = hard + (s − s.detach())")
    weights = torch.randn(units, generator=generator)
    (grad,) = torch.autograd.grad((got * weights).sum(), zeta, allow_unused=True)
    if grad is None or not bool(grad.abs().gt(0).any()):
        raise Hint("no gradient reaches ζ through your mask: straight-through, M = hard + (s − s.detach()), with s "
                   "computed from ζ")

    def gradient(temperature: float, probability_only: bool = False) -> Tensor:
        z = zeta_values.clone().requires_grad_(True)
        if probability_only:
            s = torch.sigmoid(z)
            m = want.detach() + (s - s.detach())
        else:
            m = reference_mask(z, u1, u2, temperature)
        return torch.autograd.grad((m * weights).sum(), z)[0]

    if close(grad, gradient(c)):
        return
    if close(grad, gradient(1.0)):
        raise Hint("the gradient to ζ ignores the temperature c: divide by it inside the sigmoid, "
                   f"s = σ((ζ + g1 − g2)/c). {SAMPLE}")
    if close(grad, gradient(1.0 / c)):
        raise Hint("you multiplied by the temperature c: divide by it, s = σ((ζ + g1 − g2)/c)")
    if close(grad, gradient(c, probability_only=True)):
        raise Hint("the gradient is that of σ(ζ): it should be that of the relaxed sample s = σ((ζ + g1 − g2)/c), "
                   "the value you rounded to get the mask")
    raise Hint(f"the mask's values are right, its gradient to ζ is not (largest difference "
               f"{largest_difference(grad, gradient(c)):.2g}): M = hard + (s − s.detach()) with {SAMPLE}")


# --- exercise 2: the masked step ---------------------------------------------------------------------------

def unit_masks(zeta: dict[str, Tensor], seed: int, temperature: float = TEMPERATURE) -> Masks:
    """Straight-through masks {layer: [units]} of mlkit, one task, from the logits ``zeta`` and fixed noise."""
    out = {}
    for i, (key, z) in enumerate(zeta.items()):
        u1, u2 = fixed_noise(len(z), seed + i)
        out[key] = reference_mask(z, u1, u2, temperature)
    return out


def masked_step(theta: Weights, masks: Masks, x: Tensor, y: Tensor, alpha: float, create_graph: bool = True,
                scale: float = 1.0, bias_masked: bool = True, layer_of: dict[str, str] | None = None) -> Weights:
    """mlkit's masked inner step (``inner_loop`` with MT-net masks) on one task: a layer's mask multiplies the columns
    of its W [in, out] and its b [out]. ``scale``, ``bias_masked`` and ``layer_of`` (which layer's mask each layer
    takes) model common mistakes."""
    layers = [n for n in theta if n.startswith("w")]
    layer_of = layer_of or {key: key for key in layers}
    along = {}
    for key in layers:
        m = masks[layer_of[key]]
        along[key] = m.reshape(1, 1, -1)  # [tasks, in, out]: one entry per output unit
        if bias_masked:
            along["b" + key[1:]] = m.reshape(1, -1)
    network = tnet_checks._learner(tnet_checks.SIZES)
    adapted = inner_loop(lambda xs, w: network(xs, w), {n: w[None] for n, w in theta.items()}, x[None], y[None],
                         steps=1, alpha=alpha if scale == 1 else torch.tensor(scale * alpha), task_type="regression",
                         names=tnet_checks.adaptable(theta), mask=along, create_graph=create_graph)
    return {n: w[0] for n, w in adapted.items()}


def fixed_polynomial(seed: int = 0, shots: int = 10) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One order-2 polynomial task (Lee 2018, §6.3): support x, y [shots, 1], query x, y [10, 1]."""
    from mlkit.tasks.regression import PolynomialTasks

    batch = PolynomialTasks(2, k_shot=shots, meta_batch=1, seed=seed).sample()
    return batch.x_support[0], batch.y_support[0], batch.x_query[0], batch.y_query[0]


def check_masked_inner_step(masked_inner_step: Any, tnet: Any = None) -> None:
    """The student's ``masked_inner_step(theta, masks, x, y, alpha)``: one MT-net step, each layer's W and b masked
    by that layer's mask (columns of W: its output units), T unchanged; differentiable w.r.t. θ and, through the
    masks, w.r.t. ζ."""
    function = student_function(masked_inner_step, "masked_inner_step", ("theta", "masks", "x", "y", "alpha"))
    if tnet is not None:
        _network_is_right(tnet)
    theta = _theta()
    zeta = {"w0": torch.zeros(40).requires_grad_(True), "w1": torch.zeros(40).requires_grad_(True),
            "w2": torch.full((1,), 3.0).requires_grad_(True)}
    masks = unit_masks(zeta, seed=20)
    x, y, x_query, y_query = fixed_polynomial(3, shots=5)
    adapted = call(function, "masked_inner_step", theta, dict(masks), x, y, ALPHA)
    if isinstance(adapted, dict):
        for name, w in theta.items():
            if isinstance(adapted.get(name), Tensor) and adapted[name].shape != w.shape and name.startswith("w"):
                raise Hint(f"θ'[{name!r}] has shape {tuple(adapted[name].shape)}, expected {tuple(w.shape)}: a "
                           "layer's mask has one entry per output unit, the columns of W [in, out]; multiplying a "
                           "[in, out] gradient by a [out] mask broadcasts it along the columns")
    if isinstance(adapted, dict) and set(adapted) == set(theta):
        adapted = {n: adapted[n] for n in theta}  # any order of the names will do
    adapted = expect_weights(adapted, "masked_inner_step's θ'", theta)
    got, want = list(adapted.values()), list(masked_step(theta, masks, x, y, ALPHA).values())
    plain = {n: m.detach() for n, m in masks.items()}
    if [n for n in theta if n.startswith("t") and not torch.equal(adapted[n].detach(), theta[n].detach())]:
        raise Hint(f"T moved: the MT-net adapts W and b only, masked; T is meta-learned, never adapted. {STEP}")
    if not close(got, want):
        ones = {n: torch.ones_like(m) for n, m in plain.items()}
        swapped = {"w0": "w1", "w1": "w0", "w2": "w2"}
        masked_weights = {n: (w * plain["w" + n[1:]].reshape(1, -1)[0] if n.startswith("b") else
                              w * plain[n].reshape(1, -1) if n.startswith("w") else w)
                          for n, w in masked_step(theta, ones, x, y, ALPHA).items()}
        known = [
            (masked_step(theta, ones, x, y, ALPHA), "every unit moved: the mask was not applied. " + STEP),
            (masked_step(theta, {n: 1 - m for n, m in plain.items()}, x, y, ALPHA),
             "the units with M = 0 moved and those with M = 1 kept their weights: M = 1 means updated. " + STEP),
            (masked_step(theta, plain, x, y, ALPHA, bias_masked=False),
             "the biases of switched-off units moved: a unit's bias shares its mask with the unit's column of W. "
             + STEP),
            (masked_step(theta, plain, x, y, ALPHA, layer_of=swapped),
             "the mask of the wrong layer: layer 0 was updated with masks['w1'] and layer 1 with masks['w0']. Each "
             "layer's W and b take their own layer's mask. " + STEP),
            (masked_weights, "switched-off units' weights became 0: the mask multiplies the gradient, not the "
                             "weights. " + STEP),
            (masked_step(theta, plain, x, y, ALPHA, scale=-1.0), "θ' moves uphill: subtract the masked gradient. "
             + STEP),
            (masked_step(theta, plain, x, y, 1.0), "the step ignores α. " + STEP),
            (masked_step(theta, plain, x, y, ALPHA, scale=float(len(x))),
             f"the step is {len(x)} times too large: your loss sums the squared errors of the {len(x)} points; L is "
             "their mean (F.mse_loss)"),
            (theta, "θ' equals θ: the step does not move the weights"),
        ]
        for reference, hint in known:
            if close(got, list(reference.values())):
                raise Hint(hint)
        difference, moved = largest_difference(got, want), _moved_while_off(theta, adapted, plain)
        raise Hint(f"θ' differs from the masked step (largest difference {difference:.2g}){moved}: {STEP}")
    if not any(adapted[n].requires_grad for n in tnet_checks.adaptable(theta)):
        raise Hint("θ' is cut off from θ (.detach(), .data or torch.no_grad()): the meta-gradient must be able to "
                   "flow back through the step")
    params = list(theta.values()) + list(zeta.values())
    through = torch.autograd.grad(tnet_checks.loss(x_query, y_query, adapted), params, allow_unused=True,
                                  retain_graph=True)
    reference = torch.autograd.grad(tnet_checks.loss(x_query, y_query, masked_step(theta, masks, x, y, ALPHA)),
                                    params, retain_graph=True)
    grad_zeta = through[len(theta):]
    if any(g is None for g in grad_zeta[:2]) or not any(bool(g.abs().gt(0).any()) for g in grad_zeta if g is not None):
        raise Hint("the meta-gradient does not reach ζ through your step: use the mask as a number, multiplying the "
                   "gradient (M ⊙ ∇), not to select weights (torch.where, indexing, .bool(), .detach()), so that "
                   "meta-training can learn ζ")
    if any(g is None for g in through[: len(theta)]):
        raise Hint("some tensors of θ' are not computed from θ: build each W and b as θ[name] − α M ⊙ gradient, "
                   "and pass each T through as it is")
    if not close(list(through), list(reference)):
        first_order = masked_step(theta, masks, x, y, ALPHA, create_graph=False)
        if close(list(through), list(torch.autograd.grad(tnet_checks.loss(x_query, y_query, first_order), params))):
            raise Hint("the step is right, but the gradient through it misses the second-order term: pass "
                       "create_graph=True to torch.autograd.grad")
        raise Hint("the gradient through your step differs from the MT-net's: compute the step's gradient with "
                   "torch.autograd.grad(..., create_graph=True) and multiply it by the mask")


def _theta() -> Weights:
    return tnet_checks.fixed_weights(21)


def _network_is_right(network: Any) -> None:
    theta = tnet_checks.fixed_weights(5)
    x = fixed_polynomial(5)[0]
    try:
        same = close(network(x, theta), tnet_checks.forward(x, theta))
    except Exception:  # noqa: BLE001 -- the given network redefined badly: said below
        same = False
    if not same:
        raise Hint("`tnet` no longer computes the T-net (1-40-40-1, ReLU after the hidden cells): run its cell again "
                   "as it was given")


def _moved_while_off(theta: Weights, adapted: Weights, masks: Masks) -> str:
    """'; in layer w1, 7 units switched off moved' (or '') for the generic hint."""
    found = []
    for key, m in masks.items():
        off = m.reshape(-1) == 0
        for name in (key, "b" + key[1:]):
            change = (adapted[name].detach() - theta[name].detach()).abs()
            moved = change.reshape(-1, len(off)).gt(0).any(0) if name.startswith("w") else change.gt(0)
            if bool((moved & off).any()):
                found.append(f"{int((moved & off).sum())} switched-off units of {name} moved")
    return "; " + ", ".join(found) if found else ""


# --- exercise 3: the fraction updated ----------------------------------------------------------------------

def check_fraction_updated(fraction_updated: Any) -> None:
    """The student's ``fraction_updated(zeta)`` returns the expected fraction of a layer's weights that one
    adaptation updates: the mean over its units of σ(ζ_j)."""
    function = student_function(fraction_updated, "fraction_updated", ("zeta",))
    zeta = torch.tensor([-4.0, -1.5, -0.2, 0.3, 0.8, 1.2, 2.5, 6.0])
    result = call(function, "fraction_updated", zeta.clone())
    try:
        value = float(result.detach()) if isinstance(result, Tensor) else float(result)
    except (TypeError, ValueError, RuntimeError):
        raise Hint("fraction_updated should return one number (a float or a tensor with one value), got "
                   f"{type(result).__name__}" + (f" of shape {tuple(result.shape)}" if isinstance(result, Tensor)
                                                 else "")) from None
    want = float(torch.sigmoid(zeta).mean())
    if abs(value - want) < 1e-5:
        return
    known = [
        (float(torch.sigmoid(-zeta).mean()), "this is the mean of e^{−ζ}/(e^{−ζ} + 1) = σ(−ζ), the formula of the "
                                             "thesis's text: with P(M = 1) = σ(ζ) it is the fraction NOT updated"),
        (float((zeta > 0).float().mean()), "this counts the units with ζ > 0 (the most likely mask); the expected "
                                           "fraction averages the probabilities σ(ζ_j)"),
        (float(torch.sigmoid(zeta.mean())), "this is σ of the mean logit: average the probabilities σ(ζ_j), not the "
                                            "logits"),
        (float(zeta.mean()), "this is the mean logit: the probability of unit j is σ(ζ_j)"),
        (float(torch.sigmoid(zeta).sum()), "this is the expected NUMBER of units updated; the fraction divides it by "
                                           "the number of units"),
    ]
    for model, hint in known:
        if abs(value - model) < 1e-5:
            raise Hint(hint)
    raise Hint(f"the fraction is {value:.4g}; the mean of σ(ζ_j) over the layer's units is {want:.4g}")


# --- the student's MT-net, trained -------------------------------------------------------------------------

def race_mtnet(tnet: Any, sample_mask: Any, masked_inner_step: Any, order: int = 2, shots: int = 10,
               alpha: float = 0.01, temperature: float = 1.0, iterations: int = 150, seed: int = 0,
               progress: bool = True, dtype: torch.dtype = torch.float64
               ) -> tuple[Race, dict[str, dict[str, list[float]]]]:
    """Meta-train the student's MT-net (masks from their ``sample_mask``, one per task and layer, and their
    ``masked_inner_step`` in the given ``tnet``) and mlkit's ``MTNet`` from the same initial weights
    (``build("mtnet", seed=seed)``: every T the identity, every ζ = 0), on the same ``iterations`` meta-batches of 25
    polynomials of ``order`` (seed ``seed``), with the same uniform draws behind every mask (seed ``seed``), each with
    Adam (β = 1e-3) on W, b, T and ζ.

    Returns the race and the masks' fractions per layer and meta-iteration: ``"yours"``, the fraction of units your
    masks switched on over the meta-batch; ``"expected"``, mean σ(ζ) of mlkit's model before its step.

    Both run in ``dtype``, double precision by default, for the reason ``mlkit.exercises.tnet.race_tnet`` gives; in
    double precision a rounding difference also cannot flip a mask (it would need ζ + g1 − g2 within 1e-15 of 0)."""
    from mlkit.live.polynomial import META_BATCH, polynomial_tasks
    from mlkit.recipes import build

    iterations = check_int("iterations", iterations, 1)
    alpha, temperature = check_positive("alpha", alpha), check_positive("temperature", temperature)
    meta = build("mtnet", polynomial_tasks(order, shots, seed), seed=seed, alpha=alpha,
                 temperature=temperature).to(dtype)
    theta = {n: p.detach().clone().requires_grad_(True) for n, p in meta.learner.named_parameters()}
    zeta = {k: z.detach().clone().requires_grad_(True) for k, z in meta.masks.logits.items()}
    student_optimizer = torch.optim.Adam(list(theta.values()) + list(zeta.values()), lr=meta.meta_lr)
    mlkit_optimizer = torch.optim.Adam(meta.parameters(), lr=meta.meta_lr)
    tasks = polynomial_tasks(order, shots, seed, meta_batch=META_BATCH)
    batches = [tnet_checks.in_precision(tasks.sample(), dtype) for _ in range(iterations)]
    generator = torch.Generator().manual_seed(seed)
    uniforms = [{k: tuple(torch.rand(META_BATCH, len(z), generator=generator, dtype=dtype).clamp_min(1e-12)
                          for _ in range(2)) for k, z in zeta.items()}
                for _ in batches]
    index = {id(batch): i for i, batch in enumerate(batches)}
    fractions: dict[str, dict[str, list[float]]] = {"yours": {k: [] for k in zeta}, "expected": {k: [] for k in zeta}}
    try:
        mask_ = student_function(sample_mask, "sample_mask", ("zeta", "u1", "u2", "temperature"))
        step_ = student_function(masked_inner_step, "masked_inner_step", ("theta", "masks", "x", "y", "alpha"))
        network = student_function(tnet, "tnet", ("x", "theta"))
        unusable = None
    except Hint as hint:  # reported by the race in one line; mlkit's run goes on
        unusable = str(hint)

    def student_step(batch: TaskBatch) -> float:
        if unusable is not None:
            raise Hint(unusable)
        noise, losses, switched_on = uniforms[index[id(batch)]], [], {k: [] for k in zeta}
        for t in range(batch.n_tasks):
            masks = {k: call(mask_, "sample_mask", zeta[k], noise[k][0][t], noise[k][1][t], temperature) for k in zeta}
            for k, m in masks.items():
                switched_on[k].append(float(m.detach().float().mean()) if isinstance(m, Tensor) else float("nan"))
            adapted = call(step_, "masked_inner_step", theta, masks, batch.x_support[t], batch.y_support[t], alpha)
            losses.append(F.mse_loss(call(network, "tnet", batch.x_query[t], adapted), batch.y_query[t]))
        value = descend(torch.stack(losses).mean(), student_optimizer)
        for k, values in switched_on.items():
            fractions["yours"][k].append(sum(values) / len(values))
        return value

    def mlkit_step(batch: TaskBatch) -> float:
        noise = uniforms[index[id(batch)]]
        for k, p in meta.masks.probabilities().items():
            fractions["expected"][k].append(float(p.mean()))
        # mlkit's Gumbel noise from the same uniforms, made one task at a time as the student's is (same rounding)
        given = [torch.stack([gumbel(u[t]) for t in range(len(u))]) for k in zeta for u in noise[k]]
        with given_noise(given):
            meta_loss = meta.meta_loss(batch)
        return descend(meta_loss, mlkit_optimizer)

    return race("MT-net", student_step, mlkit_step, batches, progress=progress), fractions
