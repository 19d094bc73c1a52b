"""Meta Networks (Munkhdalai & Yu 2017), following Weng's summary ("Meta Networks": fast weights, model components,
training process; her notation, which she says differs from the paper's).

Four parameter sets: the embedding f_θ, the base learner g_ϕ, the LSTM F_w that writes the embedding's fast
weights θ⁺ and the network G_v that writes the base learner's fast weights ϕ⁺. For each task:
    1. K random pairs (x_(t,1), x_(t,2)) of support examples, t = 1..K; verification loss
       L^emb_t = CE(1[same class], P_t),  P_t = σ(W |f_θ(x_(t,1)) − f_θ(x_(t,2))|);
       task-level fast weights θ⁺ = F_w(∇_θ L^emb_1, …, ∇_θ L^emb_K);
    2. for every support example i: L^task_i = CE(g_ϕ(x'_i), y'_i); ϕ⁺_i = G_v(∇_ϕ L^task_i) is stored in the value
       memory M[i], and r'_i = f_{θ,θ⁺}(x'_i) in the key memory R[i];
    3. for every query j: r_j = f_{θ,θ⁺}(x_j), a_j = cosine(R, r_j), ϕ⁺_j = softmax(a_j)ᵀ M, prediction
       g_{ϕ,ϕ⁺}(x_j); L_train = Σ_j CE(g_{ϕ,ϕ⁺}(x_j), y_j) updates (θ, ϕ, w, v) (here: the mean over queries and tasks).
Slow and fast weights are combined by layer augmentation (Weng's Fig. 8): the same input goes through the slow
and the fast copy of a layer and the two outputs are summed element-wise (after the ReLU for a hidden layer; the
logits for the output layer).

Choices where the summary is silent:
- f and g are two ConvNets of the learner's architecture (g is the learner itself). Fast weights exist for one layer
  of each: θ⁺ for a ReLU representation layer [F, D] on top of f's conv features, ϕ⁺ for g's output layer [F, N];
  the conv layers have slow weights only. Batch norm uses the support set's statistics, frozen for the queries;
- F_w and G_v work coordinate-wise (one small network shared by all coordinates, as the package's LSTM
  meta-learner): F_w is an LSTM reading a coordinate's K gradients, its last output mapped to θ⁺; G_v an MLP. Both
  read gradients preprocessed as in ``mlkit.meta.lstm_meta.preprocess`` (log-magnitude and sign, p = 10);
- the gradients are taken with the slow weights only, and the meta-gradient flows through them (second order), so
  W of the verification head is trained by L_train, which is the only loss (as in Weng's last step).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_int
from mlkit.learners import ConvNet
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.image_inputs import check_fixed_way_labels, check_image_classifier, check_images
from mlkit.meta.lstm_meta import preprocess
from mlkit.meta.mann import embed_support
from mlkit.meta.memory import cosine_weights
from mlkit.tasks.batch import TaskBatch


def per_example_gradients(loss: Tensor, weights: Tensor, create_graph: bool) -> Tensor:
    """∂ loss / ∂ weights where ``weights`` [T, E, ...] is one expanded copy of a parameter per example, so each
    example's slice holds the gradient of its own loss term."""
    with torch.enable_grad():
        grad, = torch.autograd.grad(loss, weights, create_graph=create_graph)
    return grad if create_graph else grad.detach()


class MetaNet(MetaLearner):
    """Meta Networks: fast weights written from loss gradients, read back by attention (classification only).

    Munkhdalai & Yu (2017), as Weng (2018) summarises it; see the module docstring for the steps.

    Args:
        learner: a ``ConvNet``: the base learner g (its ``n_classes`` is N); the embedding f is a second ConvNet
            of the same architecture with its own weights.
        representation_size: D, width of f's fast-weighted representation layer (default: the conv features F).
        meta_hidden: hidden units of F_w (LSTM) and of G_v (an MLP with two hidden layers).
        pairs: verification pairs per task (default: the support size K, as in Weng's loop t = 1..K).
    """

    name = "metanet"

    def __init__(
        self, learner: ConvNet, task_type: str = "classification", meta_lr: float = 1e-3, *,
        representation_size: int | None = None, meta_hidden: int = 20, pairs: int | None = None,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        check_image_classifier(learner, task_type, "f and g embed images")
        self.n_way = learner.n_classes
        features = learner.features
        size = features if representation_size is None else check_int("representation_size", representation_size, 1)
        hidden = check_int("meta_hidden", meta_hidden, 1)
        self.pairs = None if pairs is None else check_int("pairs", pairs, 1)
        self.hparams = {"representation_size": size, "meta_hidden": hidden, "pairs": self.pairs}
        config = {k: v for k, v in learner.config().items() if k != "kind"}
        self.embedding = ConvNet(**config)  # f's conv layers (slow θ); its head is unused
        self.representation = nn.Parameter(nn.init.xavier_uniform_(torch.empty(features, size)))  # slow θ [F, D]
        self.verification = nn.Linear(size, 1)  # W of P_t = σ(W |r1 − r2|)
        self.task_writer = nn.LSTMCell(2, hidden)  # F_w, one row per coordinate of θ
        self.task_out = nn.Linear(hidden, 1)
        self.example_writer = nn.Sequential(  # G_v, one row per coordinate of ϕ's output layer
            nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1),
        )

    # ----- checks -------------------------------------------------------------------------------------------
    def _check_support(self, x: Tensor, y: Tensor) -> None:
        check_images("x_support", x, self.learner)
        check_fixed_way_labels(x, y, self.n_way)
        if x.shape[1] < 2:
            raise ValueError(f"x_support must hold at least 2 examples per task (verification pairs), got {x.shape[1]}")

    # ----- the embedding f and its task-level fast weights θ⁺ -----------------------------------------------
    def represent(self, conv: Tensor, fast: Tensor | None = None) -> Tensor:
        """f's augmented layer: ReLU(e W_θ) ⊕ ReLU(e θ⁺): conv features [T, B, F], θ⁺ [T, F, D] -> [T, B, D]."""
        out = F.relu(conv @ self.representation)
        return out if fast is None else out + F.relu(conv @ fast)

    def task_fast_weights(self, conv: Tensor, labels: Tensor, generator: torch.Generator | None,
                          create_graph: bool) -> Tensor:
        """θ⁺ [T, F, D] from the verification losses of random support pairs (conv [T, K, F], labels [T, K])."""
        t, k = labels.shape
        p = k if self.pairs is None else self.pairs
        first = torch.randint(k, (t, p), generator=generator)  # [T, P]
        second = (first + torch.randint(1, k, (t, p), generator=generator)) % k  # [T, P], another example
        first, second = first.to(labels.device), second.to(labels.device)
        rows = torch.arange(t, device=labels.device).unsqueeze(1)
        weights = self.representation.expand(t, p, *self.representation.shape)  # [T, P, F, D], one copy per pair
        r1 = F.relu(torch.einsum("tpf,tpfd->tpd", conv[rows, first], weights))  # [T, P, D]
        r2 = F.relu(torch.einsum("tpf,tpfd->tpd", conv[rows, second], weights))
        same = (labels[rows, first] == labels[rows, second]).to(conv.dtype)  # [T, P]
        logit = self.verification((r1 - r2).abs()).squeeze(-1)  # [T, P]
        loss = F.binary_cross_entropy_with_logits(logit, same, reduction="sum")
        grads = per_example_gradients(loss, weights, create_graph)  # [T, P, F, D]
        sequence = preprocess(grads.movedim(1, -1).reshape(-1, p))  # [T*F*D, P, 2]
        h = c = sequence.new_zeros(sequence.shape[0], self.task_writer.hidden_size)
        for step in range(p):  # F_w reads the K gradients of each coordinate in turn
            h, c = self.task_writer(sequence[:, step], (h, c))
        return self.task_out(h).view(t, *self.representation.shape)  # [T, F, D]

    # ----- the base learner g and its example-level fast weights ϕ⁺ -----------------------------------------
    def example_fast_weights(self, features: Tensor, labels: Tensor, create_graph: bool) -> Tensor:
        """ϕ⁺_i for each support example (the value memory M): g's features [T, K, F] -> [T, K, F, N]."""
        t, k = labels.shape
        weights = self.learner.fc_w.expand(t, k, *self.learner.fc_w.shape)  # [T, K, F, N], one copy per example
        logits = torch.einsum("tkf,tkfn->tkn", features, weights) + self.learner.fc_b  # [T, K, N]
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum")
        grads = per_example_gradients(loss, weights, create_graph)  # [T, K, F, N]
        return self.example_writer(preprocess(grads)).squeeze(-1)  # [T, K, F, N]

    def classify(self, features: Tensor, fast: Tensor) -> Tensor:
        """g's augmented output layer: e W_ϕ + b ⊕ e ϕ⁺: features [T, Q, F], ϕ⁺ [T, Q, F, N] -> logits [T, Q, N]."""
        slow = features @ self.learner.fc_w + self.learner.fc_b
        return slow + torch.einsum("tqf,tqfn->tqn", features, fast)

    # ----- an episode ---------------------------------------------------------------------------------------
    def _write(self, x_support: Tensor, y_support: Tensor, generator: torch.Generator | None, create_graph: bool):
        """Steps 1-2: the fast weights θ⁺, the key memory R [T, K, D] and value memory M [T, K, F, N], and the
        batch-norm statistics of both networks for the queries."""
        conv, f_stats = embed_support(self.embedding, x_support)  # [T, K, F]
        fast_theta = self.task_fast_weights(conv, y_support, generator, create_graph)  # [T, F, D]
        keys = self.represent(conv, fast_theta)  # R [T, K, D]
        features, g_stats = embed_support(self.learner, x_support)  # [T, K, F]
        values = self.example_fast_weights(features, y_support, create_graph)  # M [T, K, F, N]
        return fast_theta, keys, values, f_stats, g_stats

    def _read(self, memory, x_query: Tensor) -> Tensor:
        """Step 3: logits [T, Q, N] of each query from its own attention over the support examples."""
        fast_theta, keys, values, f_stats, g_stats = memory
        r = self.represent(self.embedding.embed(x_query, running=f_stats), fast_theta)  # [T, Q, D]
        attention = cosine_weights(r, keys)  # [T, Q, K], softmax(cosine(R, r_j))
        fast_phi = torch.einsum("tqk,tkfn->tqfn", attention, values)  # ϕ⁺_j [T, Q, F, N]
        return self.classify(self.learner.embed(x_query, running=g_stats), fast_phi)

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        self._check_support(batch.x_support, batch.y_support)
        check_images("x_query", batch.x_query, self.learner)
        memory = self._write(batch.x_support, batch.y_support, None, create_graph=True)  # pairs: global RNG
        logits = self._read(memory, batch.x_query)  # [T, Q, N]
        return F.cross_entropy(logits.flatten(0, 1), batch.y_query.flatten())

    def adapt(self, x_support: Tensor, y_support: Tensor, seed: int = 0) -> Predictor:
        """Steps 1-2 on the support set; ``predict`` is step 3. ``seed`` draws the verification pairs."""
        self._check_support(x_support, y_support)
        generator = torch.Generator().manual_seed(check_int("seed", seed, 0))
        with torch.enable_grad():  # the meta information is made of gradients, also under torch.no_grad()
            memory = self._write(x_support, y_support, generator, create_graph=False)
        memory = tuple(m.detach() if isinstance(m, Tensor) else m for m in memory)
        t = x_support.shape[0]

        def scores(x_query: Tensor) -> Tensor:
            check_images("x_query", x_query, self.learner)
            if x_query.shape[0] != t:
                raise ValueError(f"x_query must hold the {t} tasks of the support set, got {x_query.shape[0]}")
            return self._read(memory, x_query).softmax(-1)  # [T, Q, N]

        extras: dict[str, Any] = {"task_fast_weights": memory[0], "keys": memory[1], "values": memory[2]}
        return Predictor(scores, self.task_type, extras)
