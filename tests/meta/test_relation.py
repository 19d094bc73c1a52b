"""Relation Networks (Sung et al. 2018, eq. 1–2): a relation module scores [class feature map, query feature map]
pairs in [0, 1], trained by MSE against the one-hot match."""
import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.meta.relation import RelationNet, task_batch_norm
from mlkit.tasks.batch import TaskBatch

from random_episodes import random_episode as _episode


def _meta(size=28, **kwargs):
    torch.manual_seed(0)
    return RelationNet(ConvNet(1, 5, hidden=8, image_size=size, downsample="maxpool"), channels=8, **kwargs)


def test_scores_lie_in_0_1_and_the_loss_is_the_mse_against_one_hot_matches():
    meta = _meta()
    xs, ys, xq, yq = _episode()
    scores = meta.adapt(xs, ys).outputs(xq)  # [T, Q, N]
    assert scores.shape == (2, 4, 3) and bool(((scores > 0) & (scores < 1)).all())
    expected = sum((scores[t, q, c] - float(yq[t, q] == c)) ** 2 for t in range(2) for q in range(4)
                   for c in range(3)) / (2 * 4 * 3)  # eq. 2, divided by the number of pairs
    torch.testing.assert_close(meta.meta_loss(TaskBatch(xs, ys, xq, yq)), expected, rtol=1e-5, atol=1e-6)


def test_the_relation_module_sees_the_summed_class_maps_concatenated_with_the_query_map():
    meta = _meta()
    seen = []
    meta.relation.register_forward_hook(lambda module, inputs, output: seen.append((inputs[0], output)))
    xs, ys, xq, _ = _episode(k_shot=3)
    scores = meta.adapt(xs, ys).outputs(xq)
    pairs, output = seen[0]  # [T, Q*N, 2C, s, s], [T, Q*N]
    support, query = meta.embed_episode(xs, xq)  # [T, 9, 8], [T, 4, 8] (maps of 8 x 1 x 1)
    assert pairs.shape == (2, 4 * 3, 16, 1, 1)
    for t in range(2):
        for q in range(4):
            for c in range(3):
                class_map = support[t][ys[t] == c].sum(0)  # the K-shot class map: the sum of its K = 3 embeddings
                torch.testing.assert_close(pairs[t, q * 3 + c].flatten(), torch.cat([class_map, query[t, q]]))
                assert scores[t, q, c] == output[t, q * 3 + c]


def test_feature_maps_follow_the_learner_and_blocks_pool_only_maps_of_side_2_or_more():
    big = _meta(size=84)  # 84 -> 42 -> 21 -> 10 -> 5: maps of 8 x 5 x 5
    assert big.side == 5 and big.relation.pools == [True, True] and big.relation.hidden.in_features == 8
    maps = big.feature_maps(torch.arange(400.).view(1, 2, 200))  # [1, 2, 8, 5, 5]
    assert torch.equal(maps[0, 1, 3, 2], torch.arange(285., 290.))  # 200 + 3*25 + 2*5: channel-major, as embed

    xs, ys, xq, yq = _episode(size=84)
    assert big.adapt(xs, ys).outputs(xq).shape == (2, 4, 3)
    torch.manual_seed(0)
    stride = RelationNet(ConvNet(1, 5, hidden=8, image_size=28, downsample="stride"), channels=4, units=3)
    assert stride.side == 1 and stride.relation.pools == [False, False]  # a spatial mean: 1 x 1 maps
    assert stride.relation.convs[0].in_channels == 16 and stride.relation.out.in_features == 3


def test_task_batch_norm_normalises_each_task_and_channel_on_its_own():
    g = torch.Generator().manual_seed(4)
    h = torch.randn(2, 3, 4, 2, 2, generator=g) * torch.tensor([1.0, 5.0]).view(2, 1, 1, 1, 1) + 3.0
    gamma, beta = torch.tensor([1.0, 2.0, 1.0, 1.0]), torch.tensor([0.0, 0.0, 1.0, 0.0])
    out = task_batch_norm(h, gamma, beta)
    for t in range(2):
        for c in range(4):
            x = h[t, :, c]
            expected = (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-3) * gamma[c] + beta[c]
            torch.testing.assert_close(out[t, :, c], expected, rtol=1e-5, atol=1e-5)


def test_bad_options_name_the_parameter():
    with pytest.raises(ValueError, match="channels must be an integer >= 1, got 0"):
        RelationNet(ConvNet(hidden=8, downsample="maxpool"), channels=0)
    with pytest.raises(ValueError, match="units must be an integer >= 1, got -2"):
        _meta(units=-2)
