"""The LSTM meta-learner (Ravi & Larochelle 2017): preprocessing, SGD-like start, batching, gates, errors."""
import math

import pytest
import torch
from torch.autograd.function import once_differentiable

from mlkit.learners import ConvNet, Learner
from mlkit.meta.lstm_meta import LSTMMetaLearner, layer_gates, layer_groups, preprocess
from mlkit.tasks.batch import TaskBatch


def _meta(steps=3, tasks=3, seed=0):
    torch.manual_seed(seed)
    meta = LSTMMetaLearner(ConvNet(hidden=4, image_size=16, downsample="maxpool"), steps=steps)
    x = torch.rand(tasks, 5, 1, 16, 16)
    y = torch.arange(5).repeat(tasks, 1)  # [T, 5]
    return meta, x, y


def test_preprocessing_at_known_inputs():
    x = torch.tensor([1.0, -math.exp(-5.0), 1e-5, 0.0, -2e-5])
    out = preprocess(x, p=10.0)  # e^-10 = 4.54e-5 separates the two branches
    expected = torch.tensor([
        [0.0, 1.0],                       # log(1)/10, sign
        [-0.5, -1.0],                     # log(e^-5)/10, sign
        [-1.0, math.exp(10.0) * 1e-5],    # small: (-1, e^p x) = (-1, 0.2203)
        [-1.0, 0.0],
        [-1.0, -math.exp(10.0) * 2e-5],
    ])
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(preprocess(torch.tensor([math.exp(-2.0)]), p=2.0), torch.tensor([[-1.0, 1.0]]))


def test_initial_biases_make_it_sgd_with_a_small_step():
    meta, x, y = _meta(steps=1)
    c0 = meta.initial_state(3).detach()
    theta = c0.clone().requires_grad_(True)
    loss = meta.loss(meta.learner(x, meta.weights_of(theta)), y).sum()
    grad, = torch.autograd.grad(loss, theta)  # [T, n]
    with torch.no_grad():
        c1, gates = meta.run_episode(x, y, steps=1, record=True)
    f, i = gates["forget"][0], gates["input"][0]  # [T, n]
    torch.testing.assert_close(c1, f * c0 - i * grad)  # eq. 2 with the raw gradient
    assert 0.98 < f.min() and f.max() < 0.9976  # sigma(U(4, 6)) ± small weights: f close to 1
    assert 0.0066 < i.min() and i.max() < 0.0185  # sigma(U(-5, -4)): a small step
    sgd = c0 - i.mean() * grad  # plain gradient descent with the mean step...
    shrink = (1 - f.mean()) * c0  # ...plus a slight weight decay
    torch.testing.assert_close(c1, sgd - shrink, atol=2e-4, rtol=0)


class _NoDoubleBackward(torch.autograd.Function):
    """x @ w whose backward cannot itself be differentiated: any second derivative raises."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return torch.bmm(x, w)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return torch.bmm(grad, w.transpose(1, 2)), torch.bmm(x.transpose(1, 2), grad)


class _Linear(Learner):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(0.1 * torch.randn(4, 3))
        self.adaptable = ("w",)

    def forward(self, x, weights=None):
        w = self.task_weights(x.shape[0])["w"] if weights is None else weights["w"]
        return _NoDoubleBackward.apply(x, w)

    def config(self):
        return {"kind": "linear"}


def test_no_second_derivatives_of_the_learner_loss():
    torch.manual_seed(0)
    meta = LSTMMetaLearner(_Linear(), steps=4)
    x_support, x_query = torch.randn(2, 6, 4), torch.randn(2, 9, 4)
    batch = TaskBatch(x_support, torch.randint(3, (2, 6)), x_query, torch.randint(3, (2, 9)), {})
    meta.meta_loss(batch).backward()  # would raise "trying to backward through ... once_differentiable" otherwise
    assert meta.learner.w.grad is not None and meta.layer2.bias.grad.abs().sum() > 0


def test_gates_are_recorded_for_every_step_and_coordinate():
    meta, x, y = _meta(steps=4)
    extras = meta.adapt(x, y).extras
    n = meta.n_coordinates
    assert n == sum(p.numel() for p in meta.learner.parameters())
    assert extras["forget"].shape == extras["input"].shape == (4, 3, n)
    assert ((extras["forget"] > 0) & (extras["forget"] < 1)).all()
    layers = extras["layers"]
    assert list(layers) == [f"layer {k}" for k in range(1, 6)]
    assert layer_groups(meta.learner)["layer 5"] == ["fc_w", "fc_b"]
    assert layers["layer 1"].start == 0 and layers["layer 5"].stop == n
    assert all(a.stop == b.start for a, b in zip(list(layers.values()), list(layers.values())[1:]))
    summary = layer_gates(extras, torch.Generator().manual_seed(0))
    for layer, g in summary.items():
        assert g["input"].shape == g["forget_mean"].shape == (4, 3)
        assert layers[layer].start <= int(g["coordinate"]) < layers[layer].stop
        torch.testing.assert_close(g["input"], extras["input"][:, :, int(g["coordinate"])])


def test_batching_over_tasks_equals_one_task_at_a_time():
    meta, x, y = _meta(steps=3)
    with torch.no_grad():
        together, gates = meta.run_episode(x, y, record=True)
        for t in range(3):
            alone, gates_alone = meta.run_episode(x[t : t + 1], y[t : t + 1], record=True)
            torch.testing.assert_close(together[t : t + 1], alone, atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(gates["input"][:, t : t + 1], gates_alone["input"])
    batch = TaskBatch(x, y, x, y, {})
    grads = torch.autograd.grad(meta.meta_loss(batch), meta.layer2.bias)[0]
    alone = sum(torch.autograd.grad(meta.meta_loss(batch[t : t + 1]), meta.layer2.bias)[0] for t in range(3)) / 3
    torch.testing.assert_close(grads, alone, atol=1e-6, rtol=1e-4)


def test_meta_test_queries_use_the_episodes_running_statistics():
    meta, x, y = _meta(steps=2)
    query = torch.rand(3, 10, 1, 16, 16)
    running = meta.adapt(x, y)
    torch.testing.assert_close(running.outputs(query[:, :1]), running.outputs(query)[:, :1])  # no batch dependence
    batch_stats = meta.adapt(x, y, running_stats=False)
    assert not torch.allclose(batch_stats.outputs(query[:, :2])[:, :1], batch_stats.outputs(query)[:, :1])


def test_meta_training_steps_lower_the_query_loss():
    meta, x, y = _meta(steps=2, tasks=2)
    batch = TaskBatch(x, y, x, y, {})
    opt = torch.optim.Adam(meta.parameters(), lr=1e-2)
    first = meta.meta_loss(batch).item()
    for _ in range(10):
        opt.zero_grad()
        meta.meta_loss(batch).backward()
        opt.step()
    assert meta.meta_loss(batch).item() < first - 0.1


def test_bad_input():
    with pytest.raises(ValueError, match="^steps must be an integer >= 1"):
        LSTMMetaLearner(ConvNet(hidden=4, image_size=16), steps=0)
    with pytest.raises(ValueError, match="^p must be a finite number > 0"):
        LSTMMetaLearner(ConvNet(hidden=4, image_size=16), p=0.0)
    with pytest.raises(ValueError, match="^p must be a finite number > 0"):
        preprocess(torch.ones(2), p=-1.0)
    meta, x, y = _meta()
    with pytest.raises(ValueError, match="^steps must be an integer >= 1"):
        meta.adapt(x, y, steps=0)
    config = meta.config()
    config["learner"] = {**config["learner"], "hidden": 8}  # a checkpoint loaded with another learner
    with pytest.raises(ValueError, match=r"learner has \d+ adaptable parameters but .* coordinates=\d+"):
        LSTMMetaLearner.from_config(config)
    with pytest.raises(ValueError, match="cell state must have shape"):
        meta.weights_of(torch.zeros(2, meta.n_coordinates + 1))


def test_rows_in_chunks_equal_all_rows_at_once():
    meta, x, y = _meta(steps=2, tasks=2)
    with torch.no_grad():
        together, gates = meta.run_episode(x, y, record=True)
        chunked, gates_chunked = meta.run_episode(x, y, record=True, rows_per_call=97)
    torch.testing.assert_close(together, chunked)
    torch.testing.assert_close(gates["forget"], gates_chunked["forget"])


def test_meta_testing_pushes_rows_in_chunks_with_the_numbers_of_one_call(monkeypatch):
    """Under no_grad (meta-testing) the rows go through the LSTM EVAL_ROWS_PER_CALL at a time; a graph-building
    call (meta-training) sends them all at once. Both give the same cell states and gates."""
    from mlkit.meta import lstm_meta

    meta, x, y = _meta(steps=2, tasks=2)
    calls = []
    layer1 = meta.layer1.forward
    monkeypatch.setattr(meta.layer1, "forward", lambda *a: calls.append(len(a[0])) or layer1(*a))
    monkeypatch.setattr(lstm_meta, "EVAL_ROWS_PER_CALL", 97)
    with torch.no_grad():
        chunked, gates_chunked = meta.run_episode(x, y, record=True)
    rows = 2 * meta.n_coordinates
    assert calls[:math.ceil(rows / 97)] == [97] * (rows // 97) + ([rows % 97] if rows % 97 else [])
    calls.clear()
    together, gates = meta.run_episode(x, y, record=True)
    assert calls == [rows, rows]
    torch.testing.assert_close(together.detach(), chunked)
    torch.testing.assert_close(gates["input"], gates_chunked["input"])


def test_a_learner_without_batch_norm_adapts_too():
    torch.manual_seed(0)
    meta = LSTMMetaLearner(_Linear(), steps=2)
    predictor = meta.adapt(torch.randn(2, 6, 4), torch.randint(3, (2, 6)))
    assert predictor.predict(torch.randn(2, 9, 4)).shape == (2, 9)
    assert predictor.extras["forget"].shape == (2, 2, 12)
