"""The MLP learner: initialisation of the papers, batched task weights equal per-task networks."""
import torch

from mlkit.learners import MLP, build_learner


def test_initialisation_truncated_normal_std_001():
    torch.manual_seed(0)
    net = MLP((1, 40, 40, 1))
    w = net.w1.detach()
    assert w.abs().max() <= 0.02 + 1e-7  # truncated at two standard deviations
    assert 0.007 < w.std() < 0.01  # a normal truncated at 2 std has std 0.88 * 0.01
    assert torch.all(net.b0 == 0)
    assert net.adaptable == ("w0", "b0", "w1", "b1", "w2", "b2")


def test_batched_weights_equal_separate_networks():
    torch.manual_seed(0)
    net = MLP((1, 8, 1))
    weights = {k: v + 0.1 * torch.randn_like(v) for k, v in net.task_weights(3).items()}  # 3 different nets
    x = torch.randn(3, 5, 1)
    out = net(x, weights)
    for t in range(3):
        h = torch.relu(x[t] @ weights["w0"][t] + weights["b0"][t])
        torch.testing.assert_close(out[t], h @ weights["w1"][t] + weights["b1"][t])


def test_transform_layers_start_as_identity_and_are_not_adapted():
    net = MLP((1, 4, 1), transform=True)
    plain = MLP((1, 4, 1))
    plain.load_state_dict({k: v for k, v in net.state_dict().items() if not k.startswith("t")})
    x = torch.randn(2, 3, 1)
    torch.testing.assert_close(net(x), plain(x))
    assert "t0" not in net.adaptable and torch.equal(net.t0, torch.eye(4))


def test_config_round_trip():
    net = MLP((2, 5, 3), transform=True)
    assert build_learner(net.config()).config() == net.config()
