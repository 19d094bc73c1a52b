"""Prototypical Networks (Snell et al. 2017, eq. 1–2): class means in the embedding, softmax over −‖·‖²."""
import torch

from mlkit.learners import ConvNet
from mlkit.meta.protonet import ProtoNet, squared_distances
from mlkit.tasks.batch import TaskBatch


def _episode(n_way=3, k_shot=2, queries=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    xs = torch.rand(2, n_way * k_shot, 1, 28, 28, generator=g)
    by_class = torch.arange(n_way).repeat_interleave(k_shot)  # [0, 0, 1, 1, ...]
    ys = torch.stack([by_class, torch.arange(n_way).repeat(k_shot)])  # task 1 interleaved: [0, 1, 2, 0, ...]
    xq = torch.rand(2, queries, 1, 28, 28, generator=g)
    yq = (torch.arange(queries) % n_way).repeat(2, 1)
    return xs, ys, xq, yq


def _meta():
    torch.manual_seed(0)
    return ProtoNet(ConvNet(1, 5, hidden=8, image_size=28, downsample="maxpool"))


def test_prototypes_are_class_means_and_logits_are_minus_squared_distances():
    meta = _meta()
    xs, ys, xq, _ = _episode()  # task 0's support sorted by class, task 1's interleaved
    support, query = meta.embed_episode(xs, xq)  # [T, 6, F], [T, 5, F]
    logits = meta.adapt(xs, ys).outputs(xq)  # [T, 5, 3]
    for t in range(2):
        for c in range(3):
            prototype = support[t][ys[t] == c].mean(0)  # eq. 1
            for q in range(5):
                expected = -((query[t, q] - prototype) ** 2).sum()
                torch.testing.assert_close(logits[t, q, c], expected, rtol=1e-5, atol=1e-5)
    assert torch.equal(meta.adapt(xs, ys).predict(xq), logits.argmax(-1))


def test_meta_loss_is_the_mean_query_negative_log_softmax():
    meta = _meta()
    xs, ys, xq, yq = _episode()
    logits = meta.adapt(xs, ys).outputs(xq)  # [T, Q, N]
    log_p = logits - logits.exp().sum(-1, keepdim=True).log()  # eq. 2
    expected = -log_p.gather(2, yq.unsqueeze(2)).mean()
    torch.testing.assert_close(meta.meta_loss(TaskBatch(xs, ys, xq, yq)), expected, rtol=1e-5, atol=1e-6)


def test_squared_distances_match_cdist():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 4, 3, generator=g), torch.randn(2, 5, 3, generator=g)
    torch.testing.assert_close(squared_distances(a, b), torch.cdist(a, b) ** 2, rtol=1e-5, atol=1e-5)
    assert torch.equal(squared_distances(b, b).diagonal(dim1=1, dim2=2), torch.zeros(2, 5))


def test_the_way_comes_from_the_support_labels_not_the_learner():
    meta = _meta()  # learner head built for 5 classes, unused
    xs, ys, xq, _ = _episode(n_way=7, k_shot=1)
    assert meta.adapt(xs, ys).outputs(xq).shape == (2, 5, 7)
    assert meta.config()["method"] == "protonet" and meta.hparams == {}


def test_a_query_equal_to_a_support_image_in_a_one_shot_episode_is_labelled_with_its_class():
    meta = _meta()
    xs, ys, _, _ = _episode(n_way=4, k_shot=1)
    order = torch.tensor([2, 0, 3, 1])
    # the query images are the support images: with K = 1 each prototype is one query's own embedding
    assert torch.equal(meta.adapt(xs, ys).predict(xs[:, order]), ys[:, order])
