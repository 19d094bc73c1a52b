"""Siamese networks (Koch et al. 2015 §3.1): p = σ(α·|f(x_i) − f(x_j)| + b), binary cross-entropy on the
(support, query) pairs of an episode, each query labelled by its most probable support image."""
import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.meta.siamese import Siamese, same_class
from mlkit.tasks.batch import TaskBatch

from random_episodes import random_episode as _episode


def _meta(**kwargs):
    torch.manual_seed(0)
    return Siamese(ConvNet(1, 5, hidden=8, image_size=28, downsample="maxpool"), **kwargs)


def test_pair_labels_mark_the_same_class_pairs():
    y_query, y_support = torch.tensor([[0, 2]]), torch.tensor([[0, 0, 1, 2]])
    assert torch.equal(same_class(y_query, y_support), torch.tensor([[[1., 1, 0, 0], [0, 0, 0, 1]]]))


def test_pair_probability_is_a_sigmoid_of_the_weighted_l1_distance():
    meta = _meta()
    xs, ys, xq, _ = _episode()
    support, query = meta.embed_episode(xs, xq)  # [T, 6, 8], [T, 4, 8]
    logits = meta.pair_logits(support, query)  # [T, Q, S]
    alpha, b = meta.compare.weight[0], meta.compare.bias[0]
    for t in range(2):
        for q in range(4):
            for i in range(6):
                expected = sum(alpha[k] * abs(query[t, q, k] - support[t, i, k]) for k in range(8)) + b
                torch.testing.assert_close(logits[t, q, i], expected, rtol=1e-5, atol=1e-6)
    identical = meta.pair_logits(support, support)  # a pair of equal embeddings: distance 0, logit b
    torch.testing.assert_close(identical.diagonal(dim1=1, dim2=2), b.expand(2, 6))


@pytest.mark.parametrize("balanced", [True, False])
def test_meta_loss_is_the_binary_cross_entropy_of_the_pairs(balanced):
    meta = _meta(balanced=balanced)
    xs, ys, xq, yq = _episode()
    support, query = meta.embed_episode(xs, xq)
    p = torch.sigmoid(meta.pair_logits(support, query))  # [T, Q, S]
    same, different = [], []
    for t in range(2):
        for q in range(4):
            for i in range(6):
                if yq[t, q] == ys[t, i]:
                    same.append(-p[t, q, i].log())
                else:
                    different.append(-(1 - p[t, q, i]).log())
    assert len(same) == 2 * 4 * 2 and len(different) == 2 * 4 * 4  # K = 2 matching images per query
    if balanced:  # per task, same and different pairs weigh half each; every task has 8 and 16 of them here
        expected = 0.5 * (torch.stack(same).mean() + torch.stack(different).mean())
    else:
        expected = torch.stack(same + different).mean()
    torch.testing.assert_close(meta.meta_loss(TaskBatch(xs, ys, xq, yq)), expected, rtol=1e-5, atol=1e-6)


def test_a_query_takes_the_class_of_its_most_probable_support_image():
    meta = _meta()
    xs, ys, xq, _ = _episode()
    support, query = meta.embed_episode(xs, xq)
    p = torch.sigmoid(meta.pair_logits(support, query))  # [T, Q, S]
    predictor = meta.adapt(xs, ys)
    scores = predictor.outputs(xq)  # [T, Q, N]
    for t in range(2):
        for q in range(4):
            for c in range(3):
                assert scores[t, q, c] == p[t, q][ys[t] == c].max()
    assert torch.equal(predictor.predict(xq), ys.gather(1, p.argmax(-1)))  # ĉ_S(x) = c(argmax_i P(x, x_i))


def test_bad_options_name_the_parameter():
    with pytest.raises(ValueError, match="balanced must be one of True, False, got 'yes'"):
        _meta(balanced="yes")
    assert _meta(balanced=False).config()["balanced"] is False
