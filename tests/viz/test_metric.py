"""Notebook 07's pictures (``mlkit.viz.metric``): decision regions in a PCA plane, attention, relation, Siamese."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from random_episodes import noisy_dataset

from mlkit.learners import ConvNet
from mlkit.live.metric import (PrototypeView, distance_matrix, matching_attention, relation_against_distance,
                               siamese_pairs)
from mlkit.meta import MatchingNet, RelationNet, Siamese
from mlkit.tasks import EpisodeSampler
from mlkit.train import History
from mlkit.viz.metric import (plane, plot_attention, plot_prototype_view, plot_relation, plot_siamese,
                              plot_training, region_map)


def flat_view(distance="euclidean") -> PrototypeView:
    """Three classes whose embeddings all lie in one plane of a 4-d space: the regions must be exact."""
    prototypes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [4.0, 0.0, 1.0, 1.0], [0.0, 4.0, 1.0, 1.0]])
    query = prototypes.repeat_interleave(2, 0) + torch.tensor([[0.5, 0.2, 0, 0], [-0.3, 0.4, 0, 0]]).repeat(3, 1)
    y = torch.arange(3)
    return PrototypeView(prototypes.clone(), query, prototypes, y, y.repeat_interleave(2),
                         distance_matrix(query, prototypes, distance), distance)


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_regions_are_the_nearest_prototype_of_each_pixel(distance):
    view = flat_view(distance)
    pca = plane(view)
    low, high = np.array([-2.0, -2.0]), np.array([2.0, 2.0])
    regions = region_map(view, pca, low, high, size=9)
    centre = torch.as_tensor(pca.inverse_transform(np.zeros((1, 2))), dtype=torch.float32)  # pixel (4, 4)
    assert regions[4, 4] == int(distance_matrix(centre, view.prototypes, distance).argmin())
    assert set(np.unique(regions)) <= {0, 1, 2}


def test_prototype_view_plot_agrees_with_the_full_space_when_points_lie_in_the_plane():
    view = flat_view()
    assert view.accuracy == 1.0 and view.separation > 1
    fig, agreement = plot_prototype_view(view)
    assert agreement == 1.0
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("PC 1") and ax.get_ylabel().startswith("PC 2") and ax.get_title()
    assert len(ax.get_legend().get_texts()) == 4


@pytest.fixture(scope="module")
def episode():
    return EpisodeSampler(noisy_dataset(classes=12), 5, 1, 3, meta_batch=1, seed=0).sample()


def test_attention_relation_and_siamese_plots_from_untrained_models(episode):
    torch.manual_seed(0)
    learner = lambda: ConvNet(1, 5, hidden=8, image_size=16)  # noqa: E731
    attention = matching_attention(MatchingNet(learner(), fce=True).eval(), episode)[0]  # [Q, S]
    assert attention.shape == (15, 5) and torch.allclose(attention.sum(1), torch.ones(15))
    fig = plot_attention({"a": attention, "b": attention}, episode.y_support[0], episode.y_query[0], {"a": 0.3})
    assert [ax.get_xlabel() for ax in fig.axes[:2]] == ["support image (grouped by class)"] * 2
    assert fig.axes[0].get_title().endswith("0.30")
    pairs = relation_against_distance(RelationNet(learner()).eval(), episode)
    assert pairs.scores.shape == pairs.distances.shape == pairs.match.shape == (15, 5)
    assert -1 <= pairs.rank_correlation <= 1
    assert len(plot_relation(pairs).axes[0].get_legend().get_texts()) == 2
    verdicts = siamese_pairs(Siamese(learner()).eval(), episode)
    assert verdicts.p.shape == (15, 5) and int(verdicts.same.sum()) == 15
    fig = plot_siamese(verdicts, query=2)
    assert fig.axes[1].get_title().startswith("query 2: largest p at support image")


def test_training_plot_draws_every_run_and_the_floor():
    history = History(steps=[1, 2], train_loss=[2.5, 2.2], val_steps=[2], val_metric=[0.4])
    fig = plot_training({"one": history, "two": history}, floors={"floor 2.08": 2.08})
    left, right = fig.axes
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["one", "two", "floor 2.08"]
    assert right.get_ylabel() == "accuracy %" and fig._suptitle.get_text()
