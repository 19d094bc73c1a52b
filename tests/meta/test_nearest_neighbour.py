"""Baseline-nearest-neighbour (Ravi & Larochelle 2017, §5.1): 1-NN in the joint classifier's embedding."""
import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.meta.finetune import FineTune
from mlkit.meta.nearest_neighbour import NearestNeighbour


def _images(seed=0):
    torch.manual_seed(seed)
    return torch.rand(2, 5, 1, 16, 16), torch.arange(5).repeat(2, 1)  # [T, 5, ...], one image per class


def test_queries_take_the_label_of_the_nearest_support_embedding():
    meta = NearestNeighbour(ConvNet(n_classes=20, hidden=8, image_size=16, downsample="maxpool"), "classification")
    x, y = _images()
    shuffled = y[:, torch.tensor([3, 1, 4, 0, 2])]  # arbitrary labels on the support images
    predictor = meta.adapt(x, shuffled)
    support = predictor.extras["support_embedding"]  # [T, 5, F]
    query = x[:, torch.tensor([4, 0, 2])] + 1e-4 * torch.rand(2, 3, 1, 16, 16)  # near copies of supports 4, 0, 2
    expected = shuffled[:, torch.tensor([4, 0, 2])]
    assert torch.equal(predictor.predict(query), expected)
    manual = torch.cdist(meta.learner.embed(query), support).argmin(-1)
    assert torch.equal(shuffled.gather(1, manual), expected)


def test_it_shares_the_fine_tune_pretraining():
    learner = ConvNet(n_classes=20, hidden=8, image_size=16, downsample="maxpool")
    pretrained = FineTune(learner, "classification")
    meta = NearestNeighbour(ConvNet(n_classes=20, hidden=8, image_size=16, downsample="maxpool"), "classification")
    meta.load_state_dict(pretrained.state_dict())  # a FineTune checkpoint loads as is
    x, y = _images()
    torch.testing.assert_close(meta.adapt(x, y).extras["support_embedding"], learner.embed(x))
    assert NearestNeighbour.meta_loss is FineTune.meta_loss


def test_regression_is_refused():
    from mlkit.learners import MLP

    meta = NearestNeighbour(MLP((1, 8, 1)), "regression")
    with pytest.raises(ValueError, match="task_type must be 'classification' for 'nearest-neighbour'"):
        meta.adapt(torch.zeros(1, 3, 1), torch.zeros(1, 3, 1))
