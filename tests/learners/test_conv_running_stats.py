"""ConvNet's optional per-task running batch-norm statistics (Ravi & Larochelle 2017, §3.4)."""
import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.learners.conv import RunningStats


def _net_and_images():
    torch.manual_seed(0)
    net = ConvNet(hidden=4, image_size=16, downsample="maxpool")
    return net, torch.rand(3, 6, 1, 16, 16)


def test_updating_uses_batch_statistics_like_the_plain_call():
    net, x = _net_and_images()
    running = RunningStats.for_learner(net, 3, momentum=0.9)
    torch.testing.assert_close(net(x, running=running), net(x))  # same outputs: batch statistics
    assert not torch.equal(running.mean[0], torch.zeros(12))  # ...and the buffers moved


def test_running_average_weights_the_newest_batch_by_momentum():
    net, x = _net_and_images()
    running = RunningStats.for_learner(net, 3, momentum=0.9)
    net(x, running=running)
    weights = net.task_weights(3)
    h = torch.nn.functional.conv2d(x.transpose(0, 1).reshape(6, 3, 16, 16),
                                   weights["conv0"].reshape(-1, 1, 3, 3), padding=1, groups=3)  # [B, T*C, H, W]
    batch_mean = h.mean((0, 2, 3))  # [T*C]
    torch.testing.assert_close(running.mean[0], 0.9 * batch_mean, atol=1e-5, rtol=1e-4)  # 0.1·0 + 0.9·batch


def test_frozen_statistics_are_used_and_left_alone():
    net, x = _net_and_images()
    running = RunningStats.for_learner(net, 3, momentum=1.0)  # running = the last batch's statistics
    net(x, running=running)
    running.update = False
    frozen = [m.clone() for m in running.mean]
    single = net(x[:, :1], running=running)  # one image: batch statistics would be degenerate
    assert all(torch.equal(a, b) for a, b in zip(frozen, running.mean))
    # fixed statistics: an image's logits no longer depend on the other images of its batch
    torch.testing.assert_close(single, net(x, running=running)[:, :1])
    assert not torch.allclose(net(x[:, :2])[:, :1], net(x)[:, :1])  # unlike batch statistics


def test_each_task_keeps_its_own_statistics():
    net, x = _net_and_images()
    running = RunningStats.for_learner(net, 3)
    scaled = x.clone()
    scaled[2] *= 5.0
    other = RunningStats.for_learner(net, 3)
    net(x, running=running)
    net(scaled, running=other)
    torch.testing.assert_close(running.mean[0][:8], other.mean[0][:8])  # tasks 0 and 1 unchanged
    assert not torch.allclose(running.mean[0][8:], other.mean[0][8:])  # task 2 saw larger activations


def test_existing_calls_are_unchanged():
    net, x = _net_and_images()
    assert torch.equal(net.embed(x), net.embed(x, None, None))


def test_mismatched_statistics_are_refused():
    net, x = _net_and_images()
    with pytest.raises(ValueError, match="running must hold 4 blocks of statistics for 3 tasks"):
        net(x, running=RunningStats.for_learner(net, 2))
    with pytest.raises(ValueError, match="momentum"):
        RunningStats(3, 4, 4, momentum=0.0)
