"""Notebook 07's claims, checked in quick mode with the notebook's own functions (``mlkit.live.metric``).

The live runs here are shorter than the notebook's (150 and 100 steps against 300 and 150): the claims already hold
there, with margins, so they hold a fortiori in the notebook. Claims about the shipped full-scale benchmark are
checked against ``mlkit/results/omniglot.json`` when it ships (skipped before). The notebook's parameters are read
from its parameters cell, so a changed default is tested as the notebook runs it.
"""
from __future__ import annotations

import ast
import copy
import math
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from mlkit.evaluate import confidence_interval
from mlkit.learners import ConvNet
from mlkit.exercises.metric import race_protonet
from mlkit.live.metric import (CHECKPOINTS, attention_mass, build_metric, cosine_attention_ceiling, distance_matrix,
                               held_out_accuracy, linear_reading, load_benchmark, load_trained, matching_against_prototypes,
                               matching_attention, own_class_attention, prototype_accuracy, prototype_view,
                               rank_correlation, sub_episode, train_on_alphabets, view_episode)
from mlkit.meta import MatchingNet, ProtoNet

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "07_metric_learners.ipynb"
PROTONET_STEPS, MATCHING_STEPS = 150, 100


def notebook_parameters() -> dict:
    """The defaults of the notebook's parameters cell."""
    book = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in book.cells if "parameters" in c.metadata.get("tags", []))
    return {node.target.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body}


PARAMETERS = notebook_parameters()
SEED = PARAMETERS["seed"]


def convnet() -> ConvNet:
    return ConvNet(in_channels=1, n_classes=20, hidden=64, image_size=28)  # as build_metric builds it


@pytest.fixture(scope="module")
def protonets():
    """(trained, untrained, history): the notebook's sections 2 and 5 at a smaller budget."""
    protonet = build_metric("protonet", SEED)
    untrained = copy.deepcopy(protonet)
    history = train_on_alphabets(protonet, steps=PROTONET_STEPS, seed=SEED, progress=False)
    return protonet, untrained, history


@pytest.fixture(scope="module")
def matching():
    meta = build_metric("matching", SEED)
    history = train_on_alphabets(meta, steps=MATCHING_STEPS, seed=SEED, progress=False)
    return meta, history


def test_the_notebooks_budget_is_a_quick_one_and_larger_than_these_tests():
    assert PARAMETERS["full"] is False
    assert PROTONET_STEPS <= PARAMETERS["steps"] <= 400 and MATCHING_STEPS <= PARAMETERS["steps"] // 2
    assert 1 <= PARAMETERS["your_steps"] <= 100 and PARAMETERS["test_episodes"] == 100


def test_build_metric_draws_the_weights_of_a_seeded_convnet_and_leaves_the_global_random_numbers_alone():
    torch.manual_seed(3)
    by_hand = ProtoNet(convnet())  # what the notebook did before: seed the global stream, then build
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    protonet, matching = build_metric("protonet", 3), build_metric("matching", 3)
    assert torch.equal(torch.rand(2), expected)
    assert all(torch.equal(a, b) for a, b in zip(by_hand.parameters(), protonet.parameters()))
    assert isinstance(matching, MatchingNet) and not matching.fce
    assert all(torch.equal(a, b) for a, b in zip(by_hand.learner.parameters(), matching.learner.parameters()))


def test_the_race_is_the_start_of_the_notebooks_live_run():
    """Section 5 says mlkit's run starts with the race's episodes from the race's weights: its first losses are the
    race's mlkit losses."""
    race = race_protonet(notebook_prototypes, notebook_loss, steps=4, seed=SEED, progress=False)
    history = train_on_alphabets(build_metric("protonet", SEED), steps=6, seed=SEED, val_checks=1, val_episodes=1,
                                 progress=False)
    assert race.agree() and history.steps[:4] == [1, 2, 3, 4]
    assert history.train_loss[:4] == pytest.approx(race.mlkit, rel=1e-6)


def notebook_prototypes(support, y_support, n_way):
    return torch.stack([support[y_support == k].mean(0) for k in range(n_way)])


def notebook_loss(query, y_query, c):
    return F.cross_entropy(-((query[:, None, :] - c[None, :, :]) ** 2).sum(-1), y_query)


def test_equations_by_hand_give_protonet_logits():
    protonet = build_metric("protonet", SEED)
    shown = sub_episode(view_episode(SEED), 5, 2)
    with torch.no_grad():
        support, query = protonet.embed_episode(shown.x_support, shown.x_query)
        prototypes = support.view(1, 5, 2, -1).mean(2)  # eq. 1
        logits = -((query[:, :, None] - prototypes[:, None]) ** 2).sum(-1)  # eq. 2 before the softmax
    by_mlkit = protonet.adapt(shown.x_support, shown.y_support).outputs(shown.x_query)
    assert torch.allclose(logits, by_mlkit, rtol=1e-4, atol=1e-4)


def test_meta_training_beats_the_untrained_network_on_held_out_alphabets(protonets):
    protonet, untrained, history = protonets
    after = held_out_accuracy(protonet, n_way=5, k_shot=1, n_episodes=100)
    before = held_out_accuracy(untrained, n_way=5, k_shot=1, n_episodes=100)
    gain = confidence_interval(after.values - before.values, "accuracy")
    assert before.mean - before.ci95 > 0.2, "the untrained network is above chance (notebook section 3)"
    assert gain.mean - gain.ci95 > 0.10, f"paired gain {gain} should be tens of points, interval far above 0"
    assert history.val_metric[-1] > history.val_metric[0]


def test_eq_2_is_a_linear_classifier_on_the_embedding(protonets):
    """Section 6 (Snell et al. 2017, section 2.4): the logits differ from a linear layer's by -||f(x)||^2 only."""
    protonet, untrained, _ = protonets
    for meta in (protonet, untrained):
        reading = linear_reading(meta, sub_episode(view_episode(SEED), 20, 5))
        assert reading.holds() and reading.same_softmax
        assert reading.spread <= 1e-6 * reading.scale  # 10x margin below the notebook's tolerance


def test_switching_to_the_cosine_at_test_time_changes_little(protonets):
    """Section 7 (lesson question 2): the network trained with the squared distance, scored with the cosine on the
    same held-out episodes: within a few points, nothing like a different method."""
    protonet, _, _ = protonets
    euclidean = prototype_accuracy(protonet, 5, 1, 100, "euclidean")
    cosine = prototype_accuracy(protonet, 5, 1, 100, "cosine")
    gap = confidence_interval(euclidean.values - cosine.values, "accuracy")
    assert abs(gap.mean) < 0.05 and gap.ci95 < 0.03, f"Euclidean minus cosine {gap}"
    assert min(euclidean.mean, cosine.mean) > 0.5


def test_with_one_shot_and_the_same_distance_matching_and_prototypical_networks_coincide(protonets):
    """Section 9 (Snell et al. 2017, section 2.5; lesson question 4): 0 at one shot, clearly apart with several."""
    protonet, _, _ = protonets
    episode = view_episode(SEED)
    assert matching_against_prototypes(protonet, sub_episode(episode, 5, 1)) < 1e-6
    for shots in (2, 5, 10):
        assert matching_against_prototypes(protonet, sub_episode(episode, 5, shots)) > 0.05


def test_prototypes_separate_the_classes_of_the_shown_episode(protonets):
    protonet, untrained, _ = protonets
    episode = view_episode(SEED)
    for ways, floor in ((5, 0.32), (20, 0.20)):  # chance: 0.20 and 0.05
        shown = sub_episode(episode, ways, 1)
        view, before = prototype_view(protonet, shown), prototype_view(untrained, shown)
        assert view.accuracy >= floor, f"{ways}-way: accuracy {view.accuracy:.2f} not far above chance {1 / ways}"
        assert view.separation > 1.2 and view.separation > before.separation + 0.15, (
            f"{ways}-way: separation {view.separation:.2f}, untrained {before.separation:.2f}")


def test_matching_attention_concentrates_on_the_own_class_under_its_ceiling(matching):
    meta, history = matching
    mass = own_class_attention(meta, n_way=5, k_shot=1, n_episodes=100)
    assert mass.mean - mass.ci95 > 0.2 + 0.02, f"own-class attention {mass.mean:.3f} ± {mass.ci95:.3f} vs 1/N = 0.2"
    shown = sub_episode(view_episode(SEED), 5, 1)
    every = attention_mass(matching_attention(meta, shown), shown.y_support, shown.y_query)  # [1, Q]
    assert float(every.max()) <= cosine_attention_ceiling(5, lowest_cosine=0.0) + 1e-6
    floor = -math.log(cosine_attention_ceiling(20, lowest_cosine=0.0))
    assert min(history.train_loss) >= floor - 1e-6, "no 20-way training loss below the ceiling's floor"


def test_the_ceilings_and_the_floor_quoted_in_the_notebook():
    assert round(cosine_attention_ceiling(5), 2) == 0.65 and round(cosine_attention_ceiling(20), 2) == 0.28
    assert round(cosine_attention_ceiling(5, 0.0), 2) == 0.40 and round(cosine_attention_ceiling(20, 0.0), 3) == 0.125
    assert round(-math.log(cosine_attention_ceiling(20, 0.0)), 2) == 2.08
    # the ceiling is reached: cosine 1 to the own class, the lowest cosine to every other
    cosines = torch.tensor([1.0, -1.0, -1.0, -1.0, -1.0])
    assert math.isclose(float(cosines.softmax(0)[0]), cosine_attention_ceiling(5), rel_tol=1e-6)


def test_relu_embeddings_have_no_negative_coordinates(matching):
    meta, _ = matching
    shown = sub_episode(view_episode(SEED), 5, 1)
    support, query = meta.embed_episode(shown.x_support, shown.x_query)
    assert float(torch.cat([support, query], 1).detach().min()) >= 0.0  # so their cosines lie in [0, 1]


@pytest.mark.skipif(not (CHECKPOINTS.parent / "results" / "omniglot.json").is_file(),
                    reason="mlkit/results/omniglot.json ships after the full reproduce omniglot run")
def test_the_shipped_benchmark_is_the_full_scale_run_the_notebook_describes():
    result = load_benchmark()
    assert not result["quick"]
    assert result["settings"]["episodes"] == 4000 and result["settings"]["test_episodes"] == 600
    for method in ("protonet", "matching", "relation", "siamese"):
        assert (CHECKPOINTS / f"omniglot-{method}-20way.pt").is_file()
        for column in ("5w1s", "5w5s", "20w1s", "20w5s"):
            assert len(result["scores"][method][column]["episodes"]) == 600


# ----- the helpers the claims rest on ---------------------------------------------------------------------------

def test_sub_episode_keeps_the_first_classes_shots_and_queries():
    episode = view_episode(SEED)  # 20-way, 10 + 10 images per class, sorted by label
    small = sub_episode(episode, 3, 2, queries=4)
    assert small.x_support.shape[1] == 6 and small.x_query.shape[1] == 12
    assert small.y_support[0].tolist() == [0, 0, 1, 1, 2, 2]
    assert small.y_query[0].tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert torch.equal(small.x_support[0, 2], episode.x_support[0, 10])  # class 1's first support image
    assert torch.equal(small.info["classes"], episode.info["classes"][:, :3])
    with pytest.raises(ValueError, match="ways must be an integer >= 2 and <= 20, got 21"):
        sub_episode(episode, 21, 1)


def test_rank_correlation_and_distances():
    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert rank_correlation(a, a ** 3) == pytest.approx(1.0) and rank_correlation(a, -a) == pytest.approx(-1.0)
    q, c = torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 0.0], [3.0, 4.0], [-3.0, -4.0]])
    assert distance_matrix(q, c).tolist() == [[25.0, 0.0, 100.0]]
    assert distance_matrix(q, c[1:], "cosine")[0].tolist() == pytest.approx([0.0, 2.0])


def test_prototype_accuracy_scores_the_episodes_held_out_accuracy_scores():
    protonet = build_metric("protonet", SEED)
    by_evaluate = held_out_accuracy(protonet, n_way=5, k_shot=2, n_episodes=20)
    by_prototypes = prototype_accuracy(protonet, n_way=5, k_shot=2, n_episodes=20)
    assert by_prototypes.values.tolist() == pytest.approx(by_evaluate.values.tolist())


def test_missing_or_wrong_benchmark_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="method must be one of 'protonet', 'matching', 'relation', 'siamese'"):
        load_trained("maml")
    with pytest.raises(ValueError, match="folder holds no trained relation model: relation-20way.best.pt is missing"):
        load_trained("relation", tmp_path)
    with pytest.raises(ValueError, match="folder holds no omniglot.json"):
        load_benchmark(tmp_path)
