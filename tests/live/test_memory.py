"""Notebook 08's claims, checked in quick mode with the notebook's own functions (``mlkit.live.memory`` and
``mlkit.live.metanet``).

The live MANN is trained exactly as the notebook trains it (seed 0, 1000 steps: the network leaves its plateau
after a few hundred, so a shorter run would test another regime); that one run (about half a minute) serves every
claim about it. Claims about the shipped models (sections 6-7) are checked on the shipped checkpoints, skipped
until ``python -m mlkit reproduce mann`` has made them.
"""
from __future__ import annotations

import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.live.memory import (CHECKPOINTS, QUICK, accuracy_by_instance, build_mann, characters, instance_numbers,
                               least_used_share, memory_trace, paired_difference, read_on_earlier_images,
                               run_sequences, sequences, shipped_mann, train_mann)
from mlkit.live.metanet import episode_parts, fast_weight_ablation, shipped_metanet, sizes, task_branch_active
from mlkit.meta.mann import MANN
from mlkit.meta.metanet import MetaNet
from mlkit.tasks.episodes import EpisodeSampler

SEED, STEPS, EPISODES = 0, 1000, 200  # the notebook's defaults
shipped = pytest.mark.skipif(not (CHECKPOINTS / "mann-5way.pt").is_file(),
                             reason="the shipped models come from `python -m mlkit reproduce mann`")


@pytest.fixture(scope="module")
def live():
    """The notebook's section 3: the live MANN and its accuracy by instance with and without the control."""
    meta = build_mann(QUICK["n_way"], SEED)
    history = train_mann(meta, QUICK["k_shot"], STEPS, SEED, QUICK["meta_batch"], progress=False)
    real = accuracy_by_instance(meta, 5, QUICK["k_shot"], EPISODES, SEED)
    control = accuracy_by_instance(meta, 5, QUICK["k_shot"], EPISODES, SEED, shuffle_images=True)
    return meta, history, real, control


def test_instances_count_each_class_from_one():
    labels = torch.tensor([[2, 0, 2, 1, 0, 2]])
    assert instance_numbers(labels).tolist() == [[1, 1, 2, 1, 2, 3]]


def test_the_live_network_leaves_its_plateau(live):
    _, history, _, _ = live
    assert not history.diverged
    assert history.train_loss[-1] < history.train_loss[0] - 0.3  # ln 5 = 1.61 at the start
    assert history.val_metric[-1] > 0.35  # query accuracy on validation characters (chance 0.2)


def test_the_first_image_is_a_guess_from_the_labels_alone(live):
    """Section 4: at a character's first image the accuracy is near chance and the same with the images shuffled."""
    _, _, real, control = live
    assert abs(real[1].mean - 0.2) < 0.15
    assert abs(paired_difference(real[1], control[1]).mean) < 0.05


def test_the_second_image_jumps_and_the_jump_needs_the_images(live):
    _, _, real, control = live
    jump = paired_difference(real[2], real[1])
    assert jump.mean - jump.ci95 > 0.10, jump  # 2nd image far above the 1st (an interval above 0.10)
    memory = paired_difference(real[2], control[2])
    assert memory.mean - memory.ci95 > 0.10, memory  # and far above the same sequences with other images


def test_writes_go_to_the_least_used_slot(live):
    """Section 5: almost all of the write weight lands on the least-used slot; reads and writes are distributions."""
    meta, _, _, _ = live
    demo = sequences(5, 4, 1, SEED, "test", q_query=1).sample()
    run = run_sequences(meta, demo.x_support, demo.y_support, SEED, record=True)
    trace = memory_trace(meta, run)
    assert trace["write"].shape == (21, meta.slots) and len(run.states) == 22
    gate = torch.sigmoid(meta.alpha).item()  # at step 0 there is no previous read: only 1 - sigma(alpha) is written
    torch.testing.assert_close(trace["write"].sum(1), torch.tensor([1 - gate] + [1.0] * 20))
    torch.testing.assert_close(trace["read"].sum(1), torch.ones(21))
    assert least_used_share(trace) > 0.9
    assert trace["least_used"][:16, 0].tolist() == list(range(16))  # a fresh memory fills slot after slot
    assert (trace["read"].argmax(1) == trace["write"].argmax(1)).float().mean() > 0.9  # the key finds itself


def test_reads_lean_towards_earlier_images_of_the_same_character(live):
    meta, _, _, _ = live
    many = sequences(5, QUICK["k_shot"], EPISODES, SEED, "test", q_query=1).sample()
    reads = read_on_earlier_images(meta, run_sequences(meta, many.x_support, many.y_support, SEED, record=True))
    assert reads["same class"] > 1.2 * reads["other classes"], reads


def test_the_control_keeps_the_labels_and_changes_the_images():
    meta = build_mann(3, SEED)
    batch = sequences(3, 2, 4, SEED, "test", q_query=1).sample()
    same = run_sequences(meta, batch.x_support, batch.y_support, 5)
    control = run_sequences(meta, batch.x_support, batch.y_support, 5, shuffle_images=True)
    assert torch.equal(same.labels, control.labels) and torch.equal(same.instances, control.instances)
    with pytest.raises(ValueError, match="shuffle_images needs at least 2 sequences"):
        run_sequences(meta, batch.x_support[:1], batch.y_support[:1], shuffle_images=True)
    with pytest.raises(ValueError, match="n_way must be an integer >= 2 and <= 3"):
        accuracy_by_instance(meta, 4, 2, 10)


def test_episode_parts_are_what_metanet_predicts():
    torch.manual_seed(SEED)
    meta = MetaNet(ConvNet(1, 3, hidden=8, image_size=28, downsample="stride"))
    batch = EpisodeSampler(characters("test"), 3, 1, 2, 2, SEED).sample()
    parts = episode_parts(meta, batch, seed=4)
    expected = meta.adapt(batch.x_support, batch.y_support, seed=4).outputs(batch.x_query)
    torch.testing.assert_close(parts["logits"].softmax(-1), expected)
    assert parts["values"].shape == (2, 3, 8, 3) and parts["attention"].shape == (2, 6, 3)
    assert sizes(meta, 3)["value memory M"] == 3 * 8 * 3


@shipped
def test_shipped_mann_remembers_images_at_every_later_instance():
    """Section 6 and 8: the shipped 5-class model beats the control from the 2nd image on."""
    five = shipped_mann(5)
    assert isinstance(five, MANN)
    real = accuracy_by_instance(five, 5, 10, EPISODES, SEED, instances=(1, 2, 10))
    control = accuracy_by_instance(five, 5, 10, EPISODES, SEED, shuffle_images=True, instances=(1, 2, 10))
    for i in (2, 10):
        gap = paired_difference(real[i], control[i])
        assert gap.mean - gap.ci95 > 0.10, (i, gap)
    assert real[2].mean > real[1].mean + 0.2


@shipped
def test_metanet_lives_on_its_example_fast_weights():
    """Section 7: without phi+ chance; theta+ changes nothing, its ReLU branch is off on every unit; each query's
    largest attention weight is on its own character's support image, in a flat attention."""
    metanet = shipped_metanet(5)
    ablation = fast_weight_ablation(metanet, EpisodeSampler(characters("test"), 5, 1, 5, 1, SEED), EPISODES, SEED)
    full, without_theta, without_phi = (ablation[k].mean for k in ("full", "without theta+", "without phi+"))
    assert full > 0.8 and abs(without_phi - 0.2) < 0.05 and abs(full - without_theta) < 0.005
    one = EpisodeSampler(characters("test"), 5, 1, 3, 1, SEED).sample()
    parts = episode_parts(metanet, one, SEED)
    assert task_branch_active(parts) < 0.01
    attention = parts["attention"][0]  # [Q, K]
    assert (one.y_support[0][attention.argmax(-1)] == one.y_query[0]).float().mean() > 0.8
    assert attention.max(-1).values.mean() < 0.4  # a uniform mix of 5 would be 0.2
