"""The shared inner loop: one step is θ − α∇L per task, masks and per-parameter α apply, bad α refused."""
import math

import pytest
import torch

from mlkit.learners import MLP
from mlkit.meta.inner import detached, gradient_step, inner_loop
from mlkit.meta.losses import task_losses


def setup():
    torch.manual_seed(0)
    net = MLP((1, 6, 1)).double()
    x, y = torch.randn(3, 4, 1, dtype=torch.float64), torch.randn(3, 4, 1, dtype=torch.float64)
    return net, x, y


def per_task_gradient(net, weights, x, y, t):
    single = {k: v[t : t + 1].detach().requires_grad_() for k, v in weights.items()}
    loss = ((net(x[t : t + 1], single) - y[t : t + 1]) ** 2).mean()
    return dict(zip(single, torch.autograd.grad(loss, list(single.values()))))


def test_one_step_is_gradient_descent_on_each_task_separately():
    net, x, y = setup()
    weights = net.task_weights(3)
    new = inner_loop(net, weights, x, y, steps=1, alpha=0.1, task_type="regression", names=net.adaptable)
    for t in range(3):
        grads = per_task_gradient(net, weights, x, y, t)
        for name in net.adaptable:
            torch.testing.assert_close(new[name][t], weights[name][t] - 0.1 * grads[name][0], rtol=0, atol=1e-12)


def test_mask_freezes_units_and_alpha_per_parameter():
    net, x, y = setup()
    weights = net.task_weights(3)
    mask = {"w0": torch.zeros(3, 1, 6), "b0": torch.zeros(3, 6)}
    alpha = {n: torch.full_like(p, 0.5) for n, p in net.named_parameters()}
    new = inner_loop(net, weights, x, y, steps=2, alpha=alpha, task_type="regression", names=net.adaptable, mask=mask)
    assert torch.equal(new["w0"], weights["w0"]) and torch.equal(new["b0"], weights["b0"])
    assert not torch.equal(new["w1"], weights["w1"])


def test_second_order_keeps_the_hessian_path():
    net, x, y = setup()
    weights = net.task_weights(3)
    for create_graph in (True, False):
        new = inner_loop(net, weights, x, y, steps=1, alpha=0.1, task_type="regression", names=net.adaptable,
                         create_graph=create_graph)
        grad = torch.autograd.grad(task_losses(net(x, new), y, "regression").sum(), net.w0)[0]
        if create_graph:
            second = grad
        else:
            first = grad
    assert not torch.allclose(first, second)  # the Hessian term changes the meta-gradient


def test_detach_cuts_the_graph_to_theta():
    net, x, y = setup()
    new = inner_loop(net, net.task_weights(3), x, y, steps=3, alpha=0.1, task_type="regression",
                     names=net.adaptable, create_graph=False, detach=True)
    assert all(not w.requires_grad for w in new.values())


def test_classification_loss_is_cross_entropy_per_task():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 2.0]], [[0.0, 0.0], [0.0, 0.0]]])  # [T=2, B=2, 2]
    labels = torch.tensor([[0, 1], [0, 1]])
    losses = task_losses(logits, labels, "classification")
    torch.testing.assert_close(losses, torch.tensor([math.log(1 + math.exp(-2)), math.log(2)]))


@pytest.mark.parametrize("alpha", [-0.1, 0.0, float("nan"), float("inf")])
def test_bad_step_size(alpha):
    net, x, y = setup()
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        inner_loop(net, net.task_weights(3), x, y, steps=1, alpha=alpha, task_type="regression", names=net.adaptable)


def test_negative_steps():
    net, x, y = setup()
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        inner_loop(net, net.task_weights(3), x, y, steps=-1, alpha=0.1, task_type="regression", names=net.adaptable)


def test_the_loop_is_repeated_gradient_steps_and_a_direction_hook_replaces_the_gradient():
    net, x, y = setup()
    kw = dict(alpha=0.1, task_type="regression", names=net.adaptable)
    looped = inner_loop(net, net.task_weights(3), x, y, steps=2, create_graph=False, detach=True, **kw)
    by_hand = net.task_weights(3)
    for _ in range(2):
        by_hand = gradient_step(net, detached(by_hand, net.adaptable), x, y, create_graph=False, **kw)
    assert all(torch.equal(looped[n], by_hand[n]) for n in looped)

    weights = net.task_weights(3)
    signed = gradient_step(net, weights, x, y, direction=lambda g: {n: v.sign() for n, v in g.items()}, **kw)
    for t in range(3):
        grads = per_task_gradient(net, weights, x, y, t)
        for name in net.adaptable:
            torch.testing.assert_close(signed[name][t], weights[name][t] - 0.1 * grads[name][0].sign())
