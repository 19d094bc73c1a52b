"""Matching Networks (Vinyals et al. 2016), as in Weng's survey (section "Matching Networks").

A query x̂ is labelled by attention over the support set (Vinyals et al. eq. 1–2):
    ŷ = Σ_i a(x̂, x_i) y_i,      a(x̂, x_i) = exp(c(f(x̂), g(x_i))) / Σ_j exp(c(f(x̂), g(x_j))),
with c the cosine similarity and y_i one-hot, so ŷ is a distribution over the N classes. Training maximises
log P(y | x̂, S) = log ŷ_y on the query set (the paper's objective; Weng's summary leaves out the log): the loss
is −log ŷ_y averaged over queries and tasks. Without FCE, f = g = f' (the learner's ConvNet, "simple embedding").

Full Context Embeddings (``fce=True``, §2.1.2 and the paper's appendix A; Weng's "Full Context Embeddings"):
- g(x_i, S) = h→_i + h←_i + g'(x_i): a bidirectional LSTM reads the support embeddings g'(x_i) = f'(x_i) in the
  order given (episodes come sorted by class), its two outputs are summed with a skip connection;
- f(x̂, S) = attLSTM(f'(x̂), g(S), K), K read steps k = 1..K:
      ĥ_k, c_k = LSTM(f'(x̂), [h_{k−1}, r_{k−1}], c_{k−1}),    h_k = ĥ_k + f'(x̂),
      r_k = Σ_i a(h_k, g(x_i)) g(x_i),    a(h_k, g(x_i)) = softmax_i(h_kᵀ g(x_i)),    f(x̂, S) = h_K.
  The LSTM's hidden state is the concatenation [h, r]; its gates are linear in [f'(x̂), h, r], so it is an
  ``LSTMCell`` with input [f'(x̂), r_{k−1}] (width 2F) and hidden h_{k−1} (width F). Where the paper is silent:
  h_0 = f'(x̂) (as if ĥ_0 = 0), c_0 = 0, r_0 read with h_0; every query is unrolled on its own.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_choice, check_int
from mlkit.learners import Learner
from mlkit.meta.metric import MetricLearner, one_hot
from mlkit.tasks.batch import TaskBatch


def cosine_attention(query: Tensor, support: Tensor) -> Tensor:
    """a(x̂, x_i) = softmax_i cos(f(x̂), g(x_i)): query [T, Q, F], support [T, S, F] -> weights [T, Q, S]."""
    cosine = torch.bmm(F.normalize(query, dim=-1), F.normalize(support, dim=-1).transpose(1, 2))  # [T, Q, S]
    return cosine.softmax(-1)


class FullContext(nn.Module):
    """The two context embeddings of FCE for embeddings of width F: g (bidirectional LSTM) and f (attention LSTM)."""

    def __init__(self, features: int, steps: int) -> None:
        super().__init__()
        self.steps = steps
        self.support_lstm = nn.LSTM(features, features, batch_first=True, bidirectional=True)
        self.query_cell = nn.LSTMCell(2 * features, features)

    def embed_support(self, support: Tensor) -> Tensor:
        """g'(x_i) [T, S, F] -> g(x_i, S) = h→_i + h←_i + g'(x_i) [T, S, F]."""
        out, _ = self.support_lstm(support)  # [T, S, 2F]: forward outputs, then backward outputs
        forward, backward = out.chunk(2, dim=-1)  # [T, S, F] each
        return forward + backward + support

    def embed_query(self, query: Tensor, support: Tensor) -> Tensor:
        """f'(x̂) [T, Q, F] and g(S) [T, S, F] -> f(x̂, S) = h_K [T, Q, F] after K read steps."""
        t, q, width = query.shape
        x = query.reshape(t * q, width)  # [T*Q, F], one LSTM sequence per query

        def read(h: Tensor) -> Tensor:  # r = Σ_i softmax_i(hᵀ g(x_i)) g(x_i)
            weights = torch.bmm(h.view(t, q, width), support.transpose(1, 2)).softmax(-1)  # [T, Q, S]
            return torch.bmm(weights, support).reshape(t * q, width)  # [T*Q, F]

        h, c = x, torch.zeros_like(x)  # h_0 = f'(x̂), c_0 = 0
        for _ in range(self.steps):
            h_hat, c = self.query_cell(torch.cat([x, read(h)], dim=-1), (h, c))  # [T*Q, F] each
            h = h_hat + x  # skip connection
        return h.view(t, q, width)


class MatchingNet(MetricLearner):
    """Matching Networks: cosine attention over the support set, with optional Full Context Embeddings.

    Vinyals et al. (2016), eqs. 1–2 (attention); Full Context Embeddings as in §2.1.2 and appendix A.

    Args:
        learner: a ``ConvNet`` (f' = g' = its ``embed``; F = ``learner.features``).
        task_type: must be ``"classification"``.
        meta_lr: Adam learning rate.
        fce: use Full Context Embeddings (the paper uses them on miniImageNet, not on Omniglot).
        fce_steps: K, the read steps of the attention LSTM (>= 1; the paper does not give its value).
    """

    name = "matching"

    def __init__(
        self, learner: Learner, task_type: str = "classification", meta_lr: float = 1e-3, *,
        fce: bool = False, fce_steps: int = 5,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        self.fce = check_choice("fce", fce, (True, False))
        self.fce_steps = check_int("fce_steps", fce_steps, 1)
        self.hparams = {"fce": self.fce, "fce_steps": self.fce_steps}
        self.context = FullContext(learner.features, self.fce_steps) if self.fce else None

    def attention(self, support: Tensor, query: Tensor) -> Tensor:
        """a(x̂, x_i) [T, Q, S] from the plain embeddings f'(x̂) [T, Q, F] and g'(x_i) [T, S, F]."""
        if self.context is not None:
            support = self.context.embed_support(support)  # g(x_i, S)
            query = self.context.embed_query(query, support)  # f(x̂, S)
        return cosine_attention(query, support)

    def class_scores(self, support: Tensor, y_support: Tensor, query: Tensor, n_way: int) -> Tensor:
        """ŷ = Σ_i a(x̂, x_i) y_i: class probabilities [T, Q, N] (eq. 1)."""
        return torch.bmm(self.attention(support, query), one_hot(y_support, n_way))  # [T, Q, N]

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        support, query, n_way = self.episode(batch)
        probabilities = self.class_scores(support, batch.y_support, query, n_way)  # [T, Q, N]
        return -probabilities.gather(2, batch.y_query.unsqueeze(2)).log().mean()  # −log ŷ_y
