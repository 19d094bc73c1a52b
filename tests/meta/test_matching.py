"""Matching Networks (Vinyals et al. 2016, eq. 1–2 and appendix A): cosine attention over the support set,
with Full Context Embeddings as an option."""
import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.meta.matching import MatchingNet, cosine_attention
from mlkit.tasks.batch import TaskBatch

from random_episodes import random_episode as _episode


def _meta(**kwargs):
    torch.manual_seed(0)
    return MatchingNet(ConvNet(1, 5, hidden=8, image_size=28, downsample="maxpool"), **kwargs)


def _lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step written out: gates i, f, g, o from [x, h]; c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c')."""
    i, f, g, o = (w_ih @ x + b_ih + w_hh @ h + b_hh).chunk(4)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def test_without_fce_predictions_are_cosine_attention_weighted_one_hot_labels():
    meta = _meta()
    xs, ys, xq, _ = _episode()
    support, query = meta.embed_episode(xs, xq)  # f = g = the ConvNet
    probabilities = meta.adapt(xs, ys).outputs(xq)  # [T, Q, N]
    for t in range(2):
        for q in range(4):
            cosine = torch.stack([query[t, q] @ s / (query[t, q].norm() * s.norm()) for s in support[t]])  # [S]
            a = cosine.exp() / cosine.exp().sum()  # eq. 2
            expected = sum(a[i] * torch.eye(3)[ys[t, i]] for i in range(6))  # eq. 1
            torch.testing.assert_close(probabilities[t, q], expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(2, 4))


def test_meta_loss_is_minus_the_mean_log_probability_of_the_true_class():
    meta = _meta()
    xs, ys, xq, yq = _episode()
    probabilities = meta.adapt(xs, ys).outputs(xq)
    expected = -torch.stack([probabilities[t, q, yq[t, q]].log() for t in range(2) for q in range(4)]).mean()
    torch.testing.assert_close(meta.meta_loss(TaskBatch(xs, ys, xq, yq)), expected, rtol=1e-5, atol=1e-6)


def test_cosine_attention_ignores_the_length_of_the_embeddings():
    g = torch.Generator().manual_seed(2)
    query, support = torch.randn(1, 3, 4, generator=g), torch.randn(1, 5, 4, generator=g)
    scale = torch.tensor([0.5, 3.0, 7.0, 1.0, 2.0]).view(1, 5, 1)
    torch.testing.assert_close(cosine_attention(2.0 * query, scale * support), cosine_attention(query, support))
    parallel = cosine_attention(support[:, :1], support)[0, 0]  # a query along support 0: cosine 1 there
    assert int(parallel.argmax()) == 0 and parallel.sum().item() == pytest.approx(1.0)


def test_fce_with_zeroed_lstms_is_the_simple_embedding():
    """All LSTM weights 0: every gate is 1/2 and the candidate tanh(0) = 0, so both LSTMs output 0 and the skip
    connections leave g = g' and f = f'."""
    plain, fce = _meta(), _meta(fce=True, fce_steps=3)
    with torch.no_grad():
        for p in fce.context.parameters():
            p.zero_()
    xs, ys, xq, _ = _episode()
    torch.testing.assert_close(fce.adapt(xs, ys).outputs(xq), plain.adapt(xs, ys).outputs(xq))


def test_fce_support_embedding_is_forward_plus_backward_lstm_plus_skip():
    meta = _meta(fce=True)
    lstm = meta.context.support_lstm
    g_prime = torch.randn(2, 4, 8)  # [T, S, F]
    got = meta.context.embed_support(g_prime)
    for t in range(2):
        expected = g_prime[t].clone()  # the skip connection g'(x_i)
        for suffix, order in (("", range(4)), ("_reverse", reversed(range(4)))):  # h→, then h←
            w = [getattr(lstm, f"{n}_l0{suffix}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h, c = torch.zeros(8), torch.zeros(8)
            for i in order:
                h, c = _lstm_step(g_prime[t, i], h, c, *w)
                expected[i] += h
        torch.testing.assert_close(got[t], expected, rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        xs, ys, xq, _ = _episode()
        shuffled = meta.adapt(xs[:, [1, 0, 2, 3, 4, 5]], ys[:, [1, 0, 2, 3, 4, 5]]).outputs(xq)
        assert not torch.allclose(shuffled, meta.adapt(xs, ys).outputs(xq))  # the BiLSTM reads in order


def test_fce_query_embedding_follows_the_attention_lstm_of_the_appendix():
    meta = _meta(fce=True, fce_steps=2)
    cell = meta.context.query_cell
    w = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    g = torch.Generator().manual_seed(3)
    f_prime, g_s = torch.randn(2, 3, 8, generator=g), torch.randn(2, 5, 8, generator=g)  # f'(x̂), g(S)
    got = meta.context.embed_query(f_prime, g_s)  # [T, Q, F]
    for t in range(2):
        for q in range(3):
            h, c = f_prime[t, q], torch.zeros(8)  # h_0 = f'(x̂), c_0 = 0
            for _ in range(2):
                a = (g_s[t] @ h).softmax(0)  # a(h_{k−1}, g(x_i)) [S]
                r = (a.unsqueeze(1) * g_s[t]).sum(0)  # r_{k−1}
                h_hat, c = _lstm_step(torch.cat([f_prime[t, q], r]), h, c, *w)
                h = h_hat + f_prime[t, q]  # h_k = ĥ_k + f'(x̂)
            torch.testing.assert_close(got[t, q], h, rtol=1e-4, atol=1e-5)


def test_bad_options_name_the_parameter():
    with pytest.raises(ValueError, match="fce_steps must be an integer >= 1, got 0"):
        _meta(fce=True, fce_steps=0)
    with pytest.raises(ValueError, match="fce must be one of True, False, got 'yes'"):
        _meta(fce="yes")
    assert _meta().context is None and _meta(fce=True).hparams == {"fce": True, "fce_steps": 5}
