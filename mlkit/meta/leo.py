"""LEO: Latent Embedding Optimization (Rusu et al., ICLR 2019; §2.3, eqs. 3-8).

LEO adapts a softmax classifier over pre-computed features x ∈ R^D (mlkit/features.py) without ever taking a
gradient step in the D·N-dimensional weight space first. For a task with N classes and K support examples each:

- encoder (eq. 3): dropout, then a linear map D → n_z without bias, one code per support example;
- relation network: a 3-layer MLP (2·n_z units, no bias, ReLU between layers) on every ordered pair of the
  task's N·K codes; its outputs are averaged over the partners, then over the K examples of each class, giving
  the mean μ_n and raw scale u_n of q(z | D_n); σ = max(exp(u) − 1, floor);
- decoder (eq. 4): linear n_z → 2·D without bias, the mean and raw scale of p(w | z_n) over the class weights
  w_n (offset √(2/(D+N)) added to the scale, as in the reference code);
- classifier (eq. 5): p(y = n | x) ∝ exp(w_n · dropout(x)), and its support loss L_support (the same eq.);
- latent inner loop (§2.3.2, the step written in the text just before eq. 6): z ← z − α ⊙ ∇_z L_support(decode(z)),
  α a learned vector [n_z] (init 1.0); eq. 6 itself decodes the adapted codes z' into the weights w' = decode(z');
- fine-tuning: a few steps w ← w − η ⊙ ∇_w L_support(w) directly on the decoded weights, η learned [D]
  (init 1e-3);
- meta-loss (eq. 8): query cross-entropy (eq. 7) + β·KL(q(z|D_n) ‖ N(0, I)) + encoder penalty
  ‖stopgrad(z') − z‖² + L2 on the encoder, relation network and decoder + an orthogonality penalty on the
  decoder's rows (the mean squared gap between their correlation matrix and the identity).

z and w are sampled only while meta-training; adaptation at evaluation uses the means. Ablations of Table 2:
``stochastic=False`` (LEO deterministic: means everywhere, also in training) and ``prior="random"`` (LEO random
prior: z starts from N(0, I), its mean 0 at evaluation, instead of the encoder). Defaults follow deepmind/leo's
config.py (the authors' public code); the KL term is the closed form of the reference code's one-sample estimate,
averaged over latent dimensions. Both inner loops are ``mlkit.meta.inner.inner_loop`` (the latent codes are
just the "weights" of the first one).

A property of the reference parameterisation worth knowing: σ = max(exp(u) − 1, 1e-10) passes no gradient once
exp(u) − 1 < 1e-10, so a scale that falls to the floor stays there. With the default β = 1e-3 nothing pushes it
back, and after meta-training with it most σ sit at the floor: the
"stochastic" model is then nearly deterministic in z. The KL term pulls σ towards 1 only while it is above the
floor, harder with a larger β (the reference README's tuned values go up to 1.6).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_choice, check_int, check_positive, check_range
from mlkit.learners import MLP
from mlkit.meta.adapt_inputs import check_inputs
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.inner import inner_loop
from mlkit.tasks.batch import TaskBatch

STD_FLOOR = 1e-10  # smallest standard deviation of q(z|D) and p(w|z), as in the reference code


def positive_std(raw: Tensor, offset: float = 0.0) -> Tensor:
    """σ = max(exp(u) − 1 + offset, 1e-10): the reference code's map from raw scale u to a standard deviation."""
    return (raw.exp() - 1.0 + offset).clamp_min(STD_FLOOR)


def gaussian_kl(mean: Tensor, std: Tensor) -> Tensor:
    """KL(N(mean, std²) ‖ N(0, 1)) per element: ½(σ² + μ² − 1) − log σ."""
    return 0.5 * (std ** 2 + mean ** 2 - 1.0) - std.log()


def _clip_gradient(threshold: float, grad: Tensor) -> Tensor:
    """The reference code's clipping of one tensor's gradient: values to ±c, then its norm to c."""
    grad = grad.clamp(-threshold, threshold)
    return grad * (threshold / grad.norm().clamp_min(threshold))


@dataclass
class Adaptation:
    """Everything one pass of LEO's inner loops produces, for T tasks of N classes."""

    mean: Tensor  # μ of q(z|D_n)                     [T, N, n_z]
    std: Tensor  # σ of q(z|D_n)                      [T, N, n_z]
    z: Tensor  # initial codes (sample or mean)        [T, N, n_z]
    z_path: list[Tensor]  # codes after 0..steps latent steps, each [T, N, n_z]
    weights: dict[str, Tensor]  # classifier after fine-tuning: w0 [T, D, N], b0 [T, N] (zeros)

    @property
    def z_adapted(self) -> Tensor:
        return self.z_path[-1]


class LEO(MetaLearner):
    """Latent embedding optimisation over features of width D, for N-way K-shot tasks.

    Rusu et al. (2019), §2.3: encode (eq. 3), decode (eq. 4), step the codes (§2.3.2), decode them again (eq. 6).

    Args:
        learner: ``MLP((D, N))``, the linear softmax classifier whose weights LEO generates. It fixes D and N;
            its own parameters are not used (LEO decodes the weights of every task) and are frozen.
        task_type: must be ``"classification"``.
        meta_lr: Adam learning rate of encoder, relation network, decoder and step sizes.
        k_shot: support examples per class the model is trained for (the relation network sees N·K codes).
        latent_dim: n_z (64 in the paper).
        latent_steps, finetune_steps: gradient steps on z, then on w (5 and 5 in the reference code).
        latent_lr, finetune_lr: initial values of the learned per-dimension step sizes α [n_z] and η [D].
        dropout: probability of dropping a feature, on encoder and classifier inputs, in meta-training only.
        beta: weight β of the KL term (eq. 8).
        encoder_penalty, l2_penalty, orthogonality_penalty: weights of the other regularisers.
        grad_clip: per-tensor clipping of meta-gradients (values, then norm), ``None`` for none.
        stochastic: sample z and w while meta-training (``False``: the "deterministic" ablation).
        prior: ``"encoder"`` (LEO) or ``"random"`` (z from N(0, I), the "random prior" ablation).
    """

    name = "leo"

    def __init__(
        self, learner: MLP, task_type: str = "classification", meta_lr: float = 1e-3, *, k_shot: int = 1,
        latent_dim: int = 64, latent_steps: int = 5, finetune_steps: int = 5, latent_lr: float = 1.0,
        finetune_lr: float = 1e-3, dropout: float = 0.5, beta: float = 1e-3, encoder_penalty: float = 1e-9,
        l2_penalty: float = 1e-8, orthogonality_penalty: float = 1e-3, grad_clip: float | None = 0.1,
        stochastic: bool = True, prior: str = "encoder",
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        check_choice("task_type", task_type, ("classification",))
        if not isinstance(learner, MLP) or len(learner.sizes) != 2 or learner.transform:
            raise ValueError(f"learner must be a linear classifier MLP((D, N)) without T matrices, got {learner!r}")
        self.feature_dim, self.n_way = learner.sizes
        self.k_shot = check_int("k_shot", k_shot, 1)
        self.latent_dim = check_int("latent_dim", latent_dim, 1)
        self.latent_steps = check_int("latent_steps", latent_steps, 0)
        self.finetune_steps = check_int("finetune_steps", finetune_steps, 0)
        self.dropout = check_range("dropout", dropout, 0.0, 0.99)
        self.beta = check_positive("beta", beta, allow_zero=True)
        self.encoder_penalty = check_positive("encoder_penalty", encoder_penalty, allow_zero=True)
        self.l2_penalty = check_positive("l2_penalty", l2_penalty, allow_zero=True)
        self.orthogonality_penalty = check_positive("orthogonality_penalty", orthogonality_penalty, allow_zero=True)
        self.grad_clip = None if grad_clip is None else check_positive("grad_clip", grad_clip)
        self.stochastic = check_choice("stochastic", stochastic, (True, False))
        self.prior = check_choice("prior", prior, ("encoder", "random"))
        self.hparams = {
            "k_shot": self.k_shot, "latent_dim": self.latent_dim, "latent_steps": self.latent_steps,
            "finetune_steps": self.finetune_steps, "latent_lr": check_positive("latent_lr", latent_lr),
            "finetune_lr": check_positive("finetune_lr", finetune_lr), "dropout": self.dropout, "beta": self.beta,
            "encoder_penalty": self.encoder_penalty, "l2_penalty": self.l2_penalty,
            "orthogonality_penalty": self.orthogonality_penalty, "grad_clip": self.grad_clip,
            "stochastic": self.stochastic, "prior": self.prior,
        }
        learner.requires_grad_(False)
        d, nz = self.feature_dim, self.latent_dim
        self.encoder = nn.Linear(d, nz, bias=False)
        self.relation = nn.Sequential(
            nn.Linear(2 * nz, 2 * nz, bias=False), nn.ReLU(),
            nn.Linear(2 * nz, 2 * nz, bias=False), nn.ReLU(),
            nn.Linear(2 * nz, 2 * nz, bias=False),
        )
        self.decoder = nn.Linear(nz, 2 * d, bias=False)
        for layer in (self.encoder, *self.relation[::2], self.decoder):
            nn.init.xavier_uniform_(layer.weight)
        self.latent_lr = nn.Parameter(torch.full((nz,), float(latent_lr)))  # α   [n_z]
        self.finetune_lr = nn.Parameter(torch.full((d,), float(finetune_lr)))  # η   [D]
        self.weight_offset = math.sqrt(2.0 / (d + self.n_way))
        self.last_terms: dict[str, float] = {}  # the meta-loss's parts at the last call, for plots

    def clip_gradients(self) -> None:
        """The reference code's clipping, tensor by tensor (values to ±c, then the norm to c), before each step."""
        if self.grad_clip is None:
            return
        with torch.no_grad():
            for p in self.parameters():
                if p.grad is not None:
                    p.grad.copy_(_clip_gradient(self.grad_clip, p.grad))

    # ----- checks -------------------------------------------------------------------------------------------
    def _check_inputs(self, x: Tensor, name: str, tasks: int | None = None) -> None:
        if x.dim() != 3 or x.shape[-1] != self.feature_dim:
            raise ValueError(
                f"{name} must be features [tasks, examples, {self.feature_dim}] (the width this LEO model was "
                f"built for), got shape {tuple(x.shape)}"
            )
        check_inputs(name, x, self.learner, tasks)  # task count, dtype, finite values

    def _check_support(self, x: Tensor, y: Tensor) -> None:
        self._check_inputs(x, "x_support")
        if y.shape != x.shape[:2] or y.dtype != torch.int64:
            raise ValueError(
                f"y_support must be int64 labels [tasks, examples] = {tuple(x.shape[:2])}, "
                f"got {y.dtype} {tuple(y.shape)}"
            )
        if int(y.min()) < 0 or int(y.max()) >= self.n_way:
            raise ValueError(
                f"n_way: this LEO model was trained for {self.n_way}-way tasks (labels 0..{self.n_way - 1}), "
                f"got labels {int(y.min())}..{int(y.max())}"
            )
        counts = F.one_hot(y, self.n_way).sum(1)  # [T, N]
        if x.shape[1] != self.n_way * self.k_shot or bool((counts != self.k_shot).any()):
            raise ValueError(
                f"k_shot: this LEO model was trained for {self.n_way}-way {self.k_shot}-shot tasks "
                f"({self.k_shot} support examples of each label), got {x.shape[1]} support examples with "
                f"per-label counts {counts[0].tolist()}"
            )

    # ----- the generative model -----------------------------------------------------------------------------
    def _dropout(self, x: Tensor) -> Tensor:
        """Inverted dropout in meta-training (a uniform draw per feature: faster than bernoulli_ on CPU)."""
        if not self.training or self.dropout == 0.0:
            return x
        return x * (torch.rand_like(x) >= self.dropout) / (1.0 - self.dropout)

    def _sample(self, mean: Tensor, std: Tensor) -> Tensor:
        """A sample while meta-training a stochastic model; the mean otherwise."""
        if self.training and self.stochastic:
            return mean + std * torch.randn_like(mean)
        return mean

    def encode(self, x_support: Tensor, y_support: Tensor) -> tuple[Tensor, Tensor]:
        """Support features [T, N·K, D] and labels → mean and std of q(z | D_n), each [T, N, n_z] (eq. 3)."""
        codes = self.encoder(self._dropout(x_support))  # [T, M, n_z], M = N·K
        # first layer on every pair (code_i, code_j): W [code_i; code_j] = W_i code_i + W_j code_j, computed
        # per code and broadcast over pairs instead of on M² concatenated vectors
        w_first = self.relation[0].weight  # [2 n_z, 2 n_z]
        own, partner = codes @ w_first[:, :self.latent_dim].t(), codes @ w_first[:, self.latent_dim:].t()
        pairs = own.unsqueeze(2) + partner.unsqueeze(1)  # [T, M, M, 2 n_z]: first layer of pair (i, j)
        related = self.relation[1:](pairs).mean(2)  # [T, M, 2 n_z], mean over partners j
        onehot = F.one_hot(y_support, self.n_way).to(related.dtype)  # [T, M, N]
        per_class = onehot.transpose(1, 2) @ related / onehot.sum(1).unsqueeze(-1)  # [T, N, 2 n_z], mean over K
        mean, raw = per_class.chunk(2, dim=-1)
        return mean, positive_std(raw)

    def decode(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Codes [T, N, n_z] → mean and std of p(w | z_n), each [T, N, D] (eq. 4)."""
        mean, raw = self.decoder(z).chunk(2, dim=-1)
        return mean, positive_std(raw, self.weight_offset)

    def classifier(self, x: Tensor, weights: dict[str, Tensor]) -> Tensor:
        """Logits [T, B, N] = dropout(x) [T, B, D] · w0 [T, D, N] (eq. 5); b0 stays zero."""
        return self.learner(self._dropout(x), weights)

    def _logits_from_codes(self, x: Tensor, codes: dict[str, Tensor]) -> Tensor:
        w = self._sample(*self.decode(codes["z"]))  # [T, N, D]
        return self.classifier(x, {"w0": w.transpose(1, 2), "b0": w.new_zeros(w.shape[:2])})

    def orthogonality(self) -> Tensor:
        """Mean squared difference between the correlation matrix of the decoder's n_z rows and the identity."""
        rows = self.decoder.weight.t()  # [n_z, 2D]: row i = what latent dimension i writes
        norms = rows.norm(dim=1, keepdim=True) + 1e-32  # [n_z, 1]
        correlation = (rows @ rows.t()) / (norms @ norms.t())  # [n_z, n_z]
        return ((correlation - torch.eye(len(rows), dtype=rows.dtype, device=rows.device)) ** 2).mean()

    def l2(self) -> Tensor:
        """Sum of squared weights of encoder, relation network (both unused with the random prior) and decoder."""
        layers = (self.encoder, *self.relation[::2], self.decoder) if self.prior == "encoder" else (self.decoder,)
        return sum((layer.weight ** 2).sum() for layer in layers)

    # ----- the two inner loops ------------------------------------------------------------------------------
    def _adapt(
        self, x_support: Tensor, y_support: Tensor, latent_steps: int, finetune_steps: int,
        alpha: float | Tensor | None = None,
    ) -> Adaptation:
        self._check_support(x_support, y_support)
        t, nz = x_support.shape[0], self.latent_dim
        if self.prior == "random":
            mean = x_support.new_zeros(t, self.n_way, nz)  # [T, N, n_z]
            std = torch.ones_like(mean)
        else:
            mean, std = self.encode(x_support, y_support)
        z = self._sample(mean, std)
        if not z.requires_grad:  # the random prior's codes hang off no parameter
            z = z.clone().requires_grad_(True)
        second_order = self.training
        if alpha is None:
            alpha = self.latent_lr
        elif not isinstance(alpha, Tensor):
            alpha = check_positive("alpha", alpha)
        elif alpha.shape not in ((), (nz,)) or not bool((alpha > 0).all()):
            raise ValueError(f"alpha must be a number > 0 or a positive tensor [{nz}], got {tuple(alpha.shape)}")
        step = {"z": alpha}
        path, codes = [z], {"z": z}
        for _ in range(latent_steps):  # one step at a time, to keep the path for plots
            codes = inner_loop(self._logits_from_codes, codes, x_support, y_support, steps=1, alpha=step,
                               task_type="classification", names=("z",), create_graph=second_order)
            path.append(codes["z"])
        w = self._sample(*self.decode(path[-1]))  # [T, N, D]
        weights = {"w0": w.transpose(1, 2), "b0": w.new_zeros(t, self.n_way)}
        weights = inner_loop(self.classifier, weights, x_support, y_support, steps=finetune_steps,
                             alpha={"w0": self.finetune_lr.unsqueeze(1)}, task_type="classification",
                             names=("w0",), create_graph=second_order)
        return Adaptation(mean, std, z, path, weights)

    # ----- the two faces ------------------------------------------------------------------------------------
    def meta_loss(self, batch: TaskBatch) -> Tensor:
        """Eq. 8 averaged over the tasks of the batch, plus the L2 and orthogonality regularisers."""
        self._check_inputs(batch.x_query, "x_query")
        result = self._adapt(batch.x_support, batch.y_support, self.latent_steps, self.finetune_steps)
        query = self.loss(self.classifier(batch.x_query, result.weights), batch.y_query)  # [T]
        kl = gaussian_kl(result.mean, result.std).mean((1, 2)) if self.prior == "encoder" else torch.zeros_like(query)
        drift = ((result.z_adapted.detach() - result.z) ** 2).mean((1, 2))  # [T]
        terms = {
            "query": query.mean(), "kl": kl.mean(), "encoder": drift.mean(), "l2": self.l2(),
            "orthogonality": self.orthogonality(),
        }
        self.last_terms = {k: float(v.detach()) for k, v in terms.items()}
        return (terms["query"] + self.beta * terms["kl"] + self.encoder_penalty * terms["encoder"]
                + self.l2_penalty * terms["l2"] + self.orthogonality_penalty * terms["orthogonality"])

    def adapt(
        self, x_support: Tensor, y_support: Tensor, latent_steps: int | None = None,
        finetune_steps: int | None = None, alpha: float | Tensor | None = None,
    ) -> Predictor:
        """Encode, take latent steps, decode, fine-tune; the predictor classifies query features [T, Q, D].

        ``alpha`` replaces the learned latent step sizes α [n_z]: one number for every dimension, or a tensor
        [n_z] (the widget passes a multiple of the learned α).
        ``extras``: ``z`` (codes before the latent steps) and ``z_adapted`` (after), [T, N, n_z];
        ``z_path`` [steps + 1, T, N, n_z]; ``mean``/``std`` of q(z|D); the final ``weights`` w' [T, N, D].
        """
        latent_steps = self.latent_steps if latent_steps is None else check_int("latent_steps", latent_steps, 0)
        if finetune_steps is None:
            finetune_steps = self.finetune_steps
        finetune_steps = check_int("finetune_steps", finetune_steps, 0)
        with torch.enable_grad():
            result = self._adapt(x_support, y_support, latent_steps, finetune_steps, alpha)
        weights = {k: v.detach() for k, v in result.weights.items()}

        def forward(x_query: Tensor) -> Tensor:
            self._check_inputs(x_query, "x_query", x_support.shape[0])
            return self.classifier(x_query, weights)

        extras = {
            "z": result.z.detach(), "z_adapted": result.z_adapted.detach(),
            "z_path": torch.stack([z.detach() for z in result.z_path]), "mean": result.mean.detach(),
            "std": result.std.detach(), "weights": weights["w0"].transpose(1, 2),
        }
        return Predictor(forward, self.task_type, extras)
