"""The 4-block ConvNet: grouped convolutions over tasks equal one network per task."""
import pytest
import torch

from mlkit.learners import ConvNet


@pytest.mark.parametrize("downsample, size, features", [("stride", 28, 16), ("maxpool", 84, 16 * 5 * 5)])
def test_batched_tasks_equal_one_task_at_a_time(downsample, size, features):
    torch.manual_seed(0)
    net = ConvNet(in_channels=1, n_classes=5, hidden=16, image_size=size, downsample=downsample, transform=True)
    assert net.features == features
    weights = {k: v + 0.05 * torch.randn_like(v) for k, v in net.task_weights(3).items()}
    x = torch.rand(3, 6, 1, size, size)
    together = net(x, weights)
    assert together.shape == (3, 6, 5)
    for t in range(3):
        alone = net(x[t : t + 1], {k: v[t : t + 1] for k, v in weights.items()})
        torch.testing.assert_close(together[t : t + 1], alone, atol=1e-5, rtol=1e-4)


def test_batch_norm_uses_each_tasks_own_statistics():
    torch.manual_seed(0)
    net = ConvNet(hidden=4, image_size=8, blocks=1)
    x = 30 * torch.rand(2, 5, 1, 8, 8)  # large activations: batch norm's eps = 1e-3 is negligible
    scaled = x.clone()
    scaled[1] *= 3.0  # conv has no bias, so task 1's own batch norm removes the scale...
    out, out_scaled = net(x), net(scaled)
    torch.testing.assert_close(out_scaled[1], out[1], atol=2e-3, rtol=1e-3)
    assert torch.equal(out_scaled[0], out[0])  # ...and task 0 never sees task 1's statistics


def test_image_too_small_for_blocks():
    with pytest.raises(ValueError, match="image_size must be >= 16 for 4 blocks"):
        ConvNet(image_size=8, downsample="maxpool")
