"""Checks of notebook 06's exercises: LEO written by the student (Rusu et al. 2019, §2.3), one task at a time.

- ``check_encode``: the encoder and the relation network give q(z_n | D_n) per class (eq. 3): μ_n and σ_n from the
  relation network's outputs over every pair of encoded support examples, averaged over the partners and over the K
  examples of class n; σ = max(e^u − 1, 1e-10) (the authors' code); z_n = μ_n + σ_n ⊙ ε;
- ``check_decode``: the decoder gives p(w_n | z_n) (eq. 4), w_n = μ_w + σ_w ⊙ ε with σ_w = max(e^u − 1 + √(2/(D+N)),
  1e-10) (the authors' code);
- ``check_latent_step``: one step in latent space (§2.3.2), z' = z − α ⊙ ∇_z L_support(w(z)), differentiable;
- ``check_kl_divergence``: KL(N(μ, σ²) ‖ N(0, I)) of eq. 8, per dimension, averaged over every element.

Each compares the student's function with mlkit's ``LEO`` (``mlkit.meta.leo``) on a small fixed model (D = 12
features, N = 3 classes, K = 2 shots, n_z = 4) and names the mistakes it recognises. ``race_leo`` then assembles
eq. 8 from the four functions, one task at a time, and meta-trains it beside mlkit's batched ``LEO.meta_loss`` from
the same weights, on the same tasks, with the same random draws (dropout masks and the noise of both samples).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_choice, check_int
from mlkit.exercises.feedback import Hint, call, expect_tensor, largest_difference, student_function
from mlkit.exercises.race import Race, descend, race
from mlkit.learners import MLP
from mlkit.meta.leo import LEO, STD_FLOOR, gaussian_kl
from mlkit.meta.inner import inner_loop
from mlkit.tasks.batch import TaskBatch

D, N, K, NZ = 12, 3, 2, 4  # the checks' small LEO: features, classes, shots, latent dimensions
EQ3 = ("μ_n, σ_n = the mean over the K examples of class n and over all N·K partners of relation([e_i; e_j]), "
       "e = encoder(x) (Rusu et al. 2019, eq. 3)")
STD = "σ = max(e^u − 1, 1e-10), u the second half of the relation network's output (the authors' code)"
STEP = "z' = z − α ⊙ ∇_z L_support(weights_of(z)) (Rusu et al. 2019, §2.3.2)"
KL = "KL = ½(σ² + μ² − 1) − log σ per dimension, averaged over all elements"


# --- the checks' fixed model and inputs ------------------------------------------------------------------------

@lru_cache(maxsize=1)
def small_leo() -> LEO:
    """mlkit's LEO for D = 12, N = 3, K = 2, n_z = 4 in evaluation mode (no dropout, no sampling), built without
    touching the notebook's random numbers; the relation network's last layer is scaled up so that its raw scales u
    fall on both sides of 0 (some σ above the floor, some on it)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(6)
        leo = LEO(MLP((D, N)), k_shot=K, latent_dim=NZ, dropout=0.0)
        with torch.no_grad():
            leo.relation[4].weight.mul_(3.0)
            leo.latent_lr.copy_(torch.linspace(0.5, 2.0, NZ))
    for p in leo.parameters():
        p.requires_grad_(False)
    return leo.eval()


def fixed_support(seed: int = 0) -> tuple[Tensor, Tensor]:
    """One task's support set: unit-norm features x [N·K, D] and labels y [N·K], in a shuffled order."""
    generator = torch.Generator().manual_seed(seed)
    x = F.normalize(torch.randn(N * K, D, generator=generator), dim=-1)
    y = torch.arange(N).repeat_interleave(K)[torch.randperm(N * K, generator=generator)]
    return x, y


def fixed_noise(shape: Sequence[int], seed: int) -> Tensor:
    return torch.randn(tuple(shape), generator=torch.Generator().manual_seed(seed))


def _modules() -> tuple[nn.Module, nn.Module, nn.Module]:
    """Copies of the small LEO's encoder, relation network and decoder that the student's code may use freely."""
    leo = small_leo()
    return tuple(copy.deepcopy(m).requires_grad_(True) for m in (leo.encoder, leo.relation, leo.decoder))


def _as_tuple(value: Any, name: str, count: int, what: str) -> tuple[Any, ...]:
    if not isinstance(value, (tuple, list)) or len(value) != count:
        got = f"a {type(value).__name__}" + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
        raise Hint(f"`{name}` should return {count} things, {what}; it returned {got}")
    return tuple(value)


def _same(got: Tensor, want: Tensor) -> bool:
    return got.shape == want.shape and torch.allclose(got.detach(), want.detach(), atol=1e-5, rtol=1e-4)


# --- exercise 1: encoder and relation network (eq. 3) -----------------------------------------------------------

def relation_outputs(x: Tensor, y: Tensor, encoder: nn.Module, relation: nn.Module, *, partner_first: bool = False,
                     own_class_only: bool = False, pooled: bool = False, by_position: bool = False) -> Tensor:
    """The relation network's output per class [N, 2 n_z] as eq. 3 averages it (the keywords model mistakes:
    averaging over the first member of the pairs, pairing only within the class, pooling all classes, grouping the
    examples by position instead of by label)."""
    codes = encoder(x)  # [M, n_z]
    m = len(codes)
    own, partner = codes.unsqueeze(1).expand(m, m, -1), codes.unsqueeze(0).expand(m, m, -1)  # [M, M, n_z]
    out = relation(torch.cat([own, partner], dim=-1))  # [M, M, 2 n_z]: pair (i, j)
    if own_class_only:
        same = (y.unsqueeze(1) == y.unsqueeze(0)).to(out.dtype).unsqueeze(-1)  # [M, M, 1]
        related = (out * same).sum(1) / same.sum(1)
    else:
        related = out.mean(0 if partner_first else 1)  # [M, 2 n_z]
    n_way = int(y.max()) + 1
    if pooled:
        return related.mean(0, keepdim=True).expand(n_way, -1)
    if by_position:
        return related.reshape(n_way, -1, related.shape[-1]).mean(1)
    return torch.stack([related[y == n].mean(0) for n in range(n_way)])


def check_encode(encode: Any) -> None:
    """The student's ``encode(x, y, encoder, relation, noise)`` returns z, μ, σ of q(z_n | D_n) [N, n_z] (eq. 3)."""
    encode = student_function(encode, "encode", ("x", "y", "encoder", "relation", "noise"))
    encoder, relation, _ = _modules()
    x, y = fixed_support()
    noise = fixed_noise((N, NZ), 1)
    got = _as_tuple(call(encode, "encode", x, y, encoder, relation, noise), "encode", 3,
                    "the codes z, their means μ and their standard deviations σ")
    z, mean, std = (expect_tensor(v, f"encode's {w}", (N, NZ)) for v, w in zip(got, ("z", "μ", "σ")))
    want_mean, want_std = (v[0] for v in small_leo().encode(x[None], y[None]))  # mlkit: [1, N, n_z] each
    per_class = relation_outputs(x, y, encoder, relation)
    first, second = per_class.chunk(2, dim=-1)
    if not _same(mean, want_mean):
        if _same(mean, second):
            raise Hint("μ and the raw scale u are swapped: the first n_z outputs of the relation network are μ, "
                       "the last n_z are u")
        mistakes = [
            (dict(partner_first=True), "you averaged over the first member of the pairs: for example i, average "
                                       "relation([e_i; e_j]) over its partners j, with i's own code first"),
            (dict(own_class_only=True), "you paired each example only with the examples of its own class: eq. 3 "
                                        "pairs it with all N·K support examples of the task"),
            (dict(pooled=True), "every class got the same μ: average over the K examples of each class separately "
                                "(the examples with y == n)"),
            (dict(by_position=True), "you grouped the examples by their position; group them by their label y "
                                     "(they may come in any order)"),
        ]
        for options, hint in mistakes:
            if _same(mean, relation_outputs(x, y, encoder, relation, **options).chunk(2, dim=-1)[0]):
                raise Hint(hint)
        raise Hint(f"μ differs from eq. 3 (largest difference {largest_difference(mean, want_mean):.2g}): {EQ3}")
    if not _same(std, want_std):
        if bool((std < 0).any()) and _same(std, second.exp() - 1):
            raise Hint("σ is negative where e^u − 1 < 0: clamp it at 1e-10, σ = max(e^u − 1, 1e-10)")
        mistakes = [
            (second, f"σ is the raw scale u itself: {STD}"),
            (second.exp(), f"σ = e^u is 1 too large: {STD}"),
            ((second / 2).exp(), f"you read u as a log-variance (σ = e^(u/2)): here {STD}"),
            (F.softplus(second), f"σ = softplus(u) is another map: {STD}"),
            (first, "σ is the first half of the relation network's output: that half is μ; σ comes from the second "
                    f"half u, {STD}"),
        ]
        for want, hint in mistakes:
            if _same(std, want):
                raise Hint(hint)
        raise Hint(f"σ differs (largest difference {largest_difference(std, want_std):.2g}): {STD}")
    if not _same(z, want_mean + want_std * noise):
        mistakes = [
            (want_mean, "z equals μ: sample it, z = μ + σ ⊙ noise (noise is the standard normal draw you are given)"),
            (want_mean + noise, "z = μ + noise ignores σ: z = μ + σ ⊙ noise"),
            (want_mean + want_std ** 2 * noise, "z = μ + σ² ⊙ noise scales the noise by the variance: z = μ + σ ⊙ "
                                                "noise"),
        ]
        for want, hint in mistakes:
            if _same(z, want):
                raise Hint(hint)
        raise Hint("μ and σ are right but z is not z = μ + σ ⊙ noise")
    if not mean.requires_grad:
        raise Hint("μ is cut off from the encoder and the relation network (.detach(), torch.no_grad()): "
                   "meta-training must reach them through it")


# --- exercise 2: the decoder (eq. 4) ----------------------------------------------------------------------------

def check_decode(decode: Any) -> None:
    """The student's ``decode(z, decoder, noise)`` returns classifier weights w = μ_w + σ_w ⊙ noise [N, D] (eq. 4)."""
    decode = student_function(decode, "decode", ("z", "decoder", "noise"))
    _, _, decoder = _modules()
    z = fixed_noise((N, NZ), 2)
    noise = fixed_noise((N, D), 3)
    got = call(decode, "decode", z, decoder, noise)
    if isinstance(got, (tuple, list)):
        raise Hint("`decode` should return the weights w [N, D] alone (one tensor), not a tuple")
    if isinstance(got, Tensor) and tuple(got.shape) == (D, N):
        raise Hint(f"w has shape {(D, N)}: one row per class, w [N, D] = [{N}, {D}] (transpose it)")
    w = expect_tensor(got, "decode's w", (N, D))
    mean, std = (v[0] for v in small_leo().decode(z[None]))  # mlkit: [1, N, D] each
    if _same(w, mean + std * noise):
        if not w.requires_grad:
            raise Hint("w is cut off from the decoder (.detach(), torch.no_grad()): meta-training must reach it")
        return
    first, raw = decoder(z).chunk(2, dim=-1)
    offset = math.sqrt(2.0 / (D + N))
    mistakes = [
        (mean, "w equals μ_w: sample it, w = μ_w + σ_w ⊙ noise"),
        (mean + noise, "w = μ_w + noise ignores σ_w: w = μ_w + σ_w ⊙ noise"),
        (mean + (raw.exp() - 1).clamp_min(STD_FLOOR) * noise,
         f"σ_w misses the offset √(2/(D+N)) = {offset:.3f} of the authors' code: σ_w = max(e^u − 1 + √(2/(D+N)), "
         "1e-10)"),
        (mean + raw * noise, "σ_w is the raw scale u itself: σ_w = max(e^u − 1 + √(2/(D+N)), 1e-10)"),
        (mean + raw.exp() * noise, "σ_w = e^u: subtract 1 and add √(2/(D+N)), σ_w = max(e^u − 1 + √(2/(D+N)), 1e-10)"),
        (raw + (first.exp() - 1 + offset).clamp_min(STD_FLOOR) * noise,
         "μ_w and the raw scale are swapped: the first D outputs of the decoder are μ_w, the last D are u"),
        (mean + std ** 2 * noise, "w = μ_w + σ_w² ⊙ noise scales the noise by the variance: use σ_w"),
    ]
    for want, hint in mistakes:
        if _same(w, want):
            raise Hint(hint)
    raise Hint(f"w differs from eq. 4 (largest difference {largest_difference(w, mean + std * noise):.2g}): the "
               "decoder's output splits into μ_w (first D) and u (last D); σ_w = max(e^u − 1 + √(2/(D+N)), 1e-10); "
               "w = μ_w + σ_w ⊙ noise")


# --- exercise 3: one latent step (§2.3.2) -----------------------------------------------------------------------

def _decoded(z: Tensor) -> Tensor:
    """The small LEO's decoder mean for codes z [N, n_z] -> w [N, D] (the checks' ``weights_of``)."""
    return small_leo().decode(z[None])[0][0]


def support_loss(z: Tensor, x: Tensor, y: Tensor, weights_of: Callable[[Tensor], Tensor]) -> Tensor:
    """L_support: the mean softmax cross-entropy of logits x · w(z)ᵀ (eq. 5)."""
    return F.cross_entropy(x @ weights_of(z).t(), y)


def reference_step(z: Tensor, x: Tensor, y: Tensor, alpha: Tensor, create_graph: bool = True) -> Tensor:
    """mlkit's latent step: ``inner_loop`` on the codes of the small LEO (one task), as ``LEO._adapt`` runs it."""
    leo = small_leo()
    out = inner_loop(leo._logits_from_codes, {"z": z[None]}, x[None], y[None], steps=1, alpha={"z": alpha},
                     task_type="classification", names=("z",), create_graph=create_graph)
    return out["z"][0]


def _latent_inputs() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Codes z [N, n_z] and step sizes α [n_z] that require gradients, and a support set."""
    z = (0.5 * fixed_noise((N, NZ), 4)).requires_grad_(True)
    alpha = small_leo().latent_lr.detach().clone().requires_grad_(True)
    x, y = fixed_support(5)
    return z, alpha, x, y


def check_latent_step(latent_step: Any) -> None:
    """The student's ``latent_step(z, x, y, alpha, weights_of)``: z' = z − α ⊙ ∇_z L_support, differentiable."""
    latent_step = student_function(latent_step, "latent_step", ("z", "x", "y", "alpha", "weights_of"))
    z, alpha, x, y = _latent_inputs()
    got = call(latent_step, "latent_step", z, x, y, alpha, _decoded)
    if isinstance(got, Tensor) and tuple(got.shape) == (N, D):
        raise Hint(f"your step returns weights [N, D] = {(N, D)}: LEO steps the codes z [N, n_z], not the weights. "
                   f"Differentiate the loss with respect to z, through weights_of: {STEP}")
    moved = expect_tensor(got, "latent_step's z'", (N, NZ))
    want = reference_step(z, x, y, alpha)
    if not _same(moved, want):
        grad, = torch.autograd.grad(support_loss(z, x, y, _decoded), z)
        summed, = torch.autograd.grad(F.cross_entropy(x @ _decoded(z).t(), y, reduction="sum"), z)
        mistakes = [
            (z + alpha * grad, f"z' moves uphill: you added the gradient. Gradient descent subtracts it: {STEP}"),
            (z - grad, f"the step ignores α: {STEP}"),
            (z - alpha.mean() * grad, "the step uses one step size for every dimension: α is a vector [n_z], one "
                                      "learned step size per latent dimension (multiply elementwise)"),
            (z - alpha * summed, f"the step is {N * K} times too large: your loss sums the cross-entropy of the "
                                 f"{N * K} support examples; L_support is their mean (F.cross_entropy)"),
            (z.detach(), "z' equals z: the step does not move the codes"),
        ]
        for candidate, hint in mistakes:
            if _same(moved, candidate):
                raise Hint(hint)
        raise Hint(f"z' differs from {STEP} (largest difference {largest_difference(moved, want):.2g}): logits "
                   "x @ weights_of(z).T, L = F.cross_entropy(logits, y), its gradient with torch.autograd.grad")
    if not moved.requires_grad:
        raise Hint("z' is cut off from z (.detach(), .data or torch.no_grad()): the meta-gradient must flow back "
                   "through the step to the encoder, the decoder and α")
    probe = fixed_noise((N, NZ), 6)
    through = torch.autograd.grad((moved * probe).sum(), (z, alpha), allow_unused=True)
    if through[1] is None:
        raise Hint("z' does not depend on α: use the α you are given (its entries are learned)")
    wanted = torch.autograd.grad((reference_step(z, x, y, alpha) * probe).sum(), (z, alpha))
    if not (_same(through[0], wanted[0]) and _same(through[1], wanted[1])):
        first = torch.autograd.grad((reference_step(z, x, y, alpha, create_graph=False) * probe).sum(), (z, alpha))
        if _same(through[0], first[0]):
            raise Hint("the step is right, but the gradient through it misses the second-order term: pass "
                       "create_graph=True to torch.autograd.grad, so that the step itself can be differentiated")
        raise Hint("the gradient through your step differs from LEO's: compute ∇_z L with "
                   "torch.autograd.grad(loss, z, create_graph=True) and use it directly")


# --- exercise 4: the KL term of eq. 8 ---------------------------------------------------------------------------

def check_kl_divergence(kl_divergence: Any) -> None:
    """The student's ``kl_divergence(mean, std)``: KL(N(μ, σ²) ‖ N(0, I)) per element, averaged: a scalar."""
    kl_divergence = student_function(kl_divergence, "kl_divergence", ("mean", "std"))
    mean = (0.8 * fixed_noise((N, NZ), 7)).requires_grad_(True)
    std = (0.2 + torch.rand((N, NZ), generator=torch.Generator().manual_seed(8)) * 1.5).requires_grad_(True)
    got = call(kl_divergence, "kl_divergence", mean, std)
    if isinstance(got, (int, float)):
        raise Hint("kl_divergence returned a Python number: return the tensor (no .item() or float()), so that "
                   "meta-training can differentiate it")
    if isinstance(got, Tensor) and got.dim() > 0 and got.numel() > 1:
        axis = "class" if tuple(got.shape) == (N,) else "latent dimension" if tuple(got.shape) == (NZ,) else "element"
        raise Hint(f"kl_divergence returned shape {tuple(got.shape)} (one value per {axis}): average over every "
                   "element of μ and σ, to one number")
    value = expect_tensor(got.reshape(()) if isinstance(got, Tensor) else got, "kl_divergence's value", ())
    want = gaussian_kl(mean, std).mean()
    if not _same(value, want):
        m, s, count = mean.detach(), std.detach(), mean.numel()
        mistakes = [
            (-want, f"the KL has the wrong sign: it is never negative (it is 0 only for q = p). {KL}"),
            ((s.log() + (1 + m ** 2) / (2 * s ** 2) - 0.5).mean(),
             f"this is KL(p ‖ q), the prior against the posterior: eq. 8 has KL(q ‖ p), q = N(μ, σ²), p = N(0, I). "
             f"{KL}"),
            ((0.5 * (s + m ** 2 - 1) - 0.5 * s.log()).mean(),
             "you used σ where the formula has the variance σ²: " + KL),
            ((0.5 * (s ** 2 + m ** 2 - 1) - 0.5 * s.log()).mean(),
             "the log term is log σ = ½ log σ², not ½ log σ: " + KL),
            ((0.5 * (s ** 2 + m ** 2) - s.log()).mean(), "the −1 is missing (the KL of p against itself must be 0): "
                                                          + KL),
            (want * count, f"you summed over the {count} elements: average them (.mean())"),
        ]
        for candidate, hint in mistakes:
            if _same(value, candidate):
                raise Hint(hint)
        raise Hint(f"the KL is {float(value):.4g}, expected {float(want):.4g}: {KL}")
    if not value.requires_grad:
        raise Hint("the KL is cut off from μ and σ (.detach(), torch.no_grad()): meta-training differentiates it")


# --- the student's LEO, trained ---------------------------------------------------------------------------------

@dataclass
class Noise:
    """Every random draw of one meta-step of LEO, in the order ``LEO.meta_loss`` makes them (each [T, ...])."""

    encoder: Tensor  # dropout mask of the encoder's inputs [T, M, D]
    z: Tensor  # ε of z = μ + σ ⊙ ε [T, N, n_z]
    latent: list[tuple[Tensor, Tensor]]  # per latent step: ε of the sampled weights [T, N, D], classifier mask
    w: Tensor  # ε of the weights decoded from the adapted codes [T, N, D]
    finetune: list[Tensor]  # per fine-tuning step: classifier dropout mask [T, M, D]
    query: Tensor  # the query's dropout mask [T, Q, D]


def draw_noise(meta: LEO, batch: TaskBatch) -> Noise:
    """The draws ``meta.meta_loss(batch)`` makes from the global generator, made here in the same order, shapes and
    dtype: seeded alike, both runs see the same masks and samples."""
    t, m, d = batch.x_support.shape
    dtype, p = batch.x_support.dtype, meta.dropout

    def keep(shape: Sequence[int]) -> Tensor:
        return torch.rand(tuple(shape), dtype=dtype) >= p

    encoder, z = keep((t, m, d)), torch.randn(t, meta.n_way, meta.latent_dim, dtype=dtype)
    latent = []
    for _ in range(meta.latent_steps):
        eps = torch.randn(t, meta.n_way, d, dtype=dtype)
        latent.append((eps, keep((t, m, d))))
    w = torch.randn(t, meta.n_way, d, dtype=dtype)
    finetune = [keep((t, m, d)) for _ in range(meta.finetune_steps)]
    return Noise(encoder, z, latent, w, finetune, keep(tuple(batch.x_query.shape)))


@dataclass
class StudentLEO:
    """The student's four functions, checked for their parameters once."""

    encode: Callable[..., Any]
    decode: Callable[..., Any]
    latent_step: Callable[..., Any]
    kl_divergence: Callable[..., Any]

    @classmethod
    def of(cls, encode: Any, decode: Any, latent_step: Any, kl_divergence: Any) -> "StudentLEO":
        return cls(student_function(encode, "encode", ("x", "y", "encoder", "relation", "noise")),
                   student_function(decode, "decode", ("z", "decoder", "noise")),
                   student_function(latent_step, "latent_step", ("z", "x", "y", "alpha", "weights_of")),
                   student_function(kl_divergence, "kl_divergence", ("mean", "std")))


def student_meta_loss(meta: LEO, functions: StudentLEO, batch: TaskBatch, noise: Noise) -> Tensor:
    """Eq. 8 one task at a time from the student's functions, over ``meta``'s weights, with ``noise``'s draws:
    encode (eq. 3), latent steps (§2.3.2) through the sampled decoder (eq. 4), decode, fine-tuning steps on the
    weights (learned η [D]), query cross-entropy (eq. 7) + β·KL + the encoder penalty ‖stopgrad(z') − z‖², the L2
    and orthogonality penalties (``meta.l2()``, ``meta.orthogonality()``: not exercises)."""
    keep_scale = 1.0 - meta.dropout

    def dropped(x: Tensor, mask: Tensor) -> Tensor:
        return x * mask / keep_scale

    queries, kls, drifts = [], [], []
    for t in range(batch.n_tasks):
        x, y = batch.x_support[t], batch.y_support[t]
        out = _as_tuple(call(functions.encode, "encode", dropped(x, noise.encoder[t]), y, meta.encoder,
                             meta.relation, noise.z[t]), "encode", 3, "z, μ and σ")
        z, mean, std = out
        start = z
        for eps, mask in noise.latent:
            def weights_of(codes: Tensor, eps: Tensor = eps[t]) -> Tensor:
                return call(functions.decode, "decode", codes, meta.decoder, eps)

            z = call(functions.latent_step, "latent_step", z, dropped(x, mask[t]), y, meta.latent_lr, weights_of)
        w = call(functions.decode, "decode", z, meta.decoder, noise.w[t])  # [N, D]
        for mask in noise.finetune:  # fine-tuning on the weights (not an exercise): w ← w − η ⊙ ∇_w L_support
            loss = F.cross_entropy(dropped(x, mask[t]) @ w.t(), y)
            grad, = torch.autograd.grad(loss, w, create_graph=True)
            w = w - meta.finetune_lr * grad
        queries.append(F.cross_entropy(dropped(batch.x_query[t], noise.query[t]) @ w.t(), batch.y_query[t]))
        kls.append(call(functions.kl_divergence, "kl_divergence", mean, std))
        drifts.append(((z.detach() - start) ** 2).mean())
    return (torch.stack(queries).mean() + meta.beta * torch.stack(kls).mean()
            + meta.encoder_penalty * torch.stack(drifts).mean() + meta.l2_penalty * meta.l2()
            + meta.orthogonality_penalty * meta.orthogonality())


RACE_MODEL = "strong-kl"  # the shipped model both runs continue to meta-train


def race_leo(encode: Any, decode: Any, latent_step: Any, kl_divergence: Any, shots: int = 1,
             iterations: int = 60, seed: int = 0, model: str = RACE_MODEL, progress: bool = True) -> Race:
    """Meta-train LEO assembled from the student's four functions (``student_meta_loss``, one task at a time) and
    mlkit's ``LEO.meta_loss`` (all tasks at once) for ``iterations`` meta-steps of 12 training tasks (seed ``seed``),
    both from the shipped ``shots``-shot ``model`` (``mlkit.viz.leo.load_shipped``), each with its own Adam (the
    model's learning rate) and the model's gradient clipping, in float64, with the same random draws per step.

    Why float64 and a trained start: σ = max(e^u − 1, 1e-10) passes no gradient on its floor and a huge one (the
    KL's −1/σ) just above it, so a last-bit difference between two correct sums can decide whether a gradient
    passes; from random weights many σ sit at that edge and two single-precision runs part within a few steps."""
    from mlkit.live.leo import tasks
    from mlkit.viz.leo import load_shipped

    shots = check_choice("shots", shots, (1, 5))
    iterations = check_int("iterations", iterations, 1)
    seed = check_int("seed", seed, 0)
    mlkit_meta = load_shipped(shots, model).train().double()
    yours = copy.deepcopy(mlkit_meta)
    mlkit_optimizer, _ = mlkit_meta.configure_optimizer(iterations)
    your_optimizer, _ = yours.configure_optimizer(iterations)
    sampler = tasks("train", shots, seed, meta_batch=12)
    batches = [_double(sampler.sample()) for _ in range(iterations)]
    draws = {id(batch): 1_000_003 * seed + i for i, batch in enumerate(batches)}  # one seed per meta-batch
    try:
        functions = StudentLEO.of(encode, decode, latent_step, kl_divergence)
    except Hint as hint:
        functions, problem = None, str(hint)

    def student_step(batch: TaskBatch) -> float:
        if functions is None:
            raise Hint(problem)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(draws[id(batch)])
            loss = student_meta_loss(yours, functions, batch, draw_noise(yours, batch))
        if not isinstance(loss, Tensor) or not loss.requires_grad:
            raise Hint("the meta-loss does not reach LEO's weights: some function cuts the graph")
        return descend(loss, your_optimizer, yours.clip_gradients)

    def mlkit_step(batch: TaskBatch) -> float:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(draws[id(batch)])
            loss = mlkit_meta.meta_loss(batch)
        return descend(loss, mlkit_optimizer, mlkit_meta.clip_gradients)

    return race("LEO", student_step, mlkit_step, batches, progress=progress)


def _double(batch: TaskBatch) -> TaskBatch:
    return TaskBatch(batch.x_support.double(), batch.y_support, batch.x_query.double(), batch.y_query, batch.info)
