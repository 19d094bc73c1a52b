"""Sine and polynomial task families: the published ranges, shapes, seeding and argument checks."""
import math

import pytest
import torch

from mlkit.tasks import PolynomialTasks, SineTasks


def test_thesis_sine_ranges_and_shapes():
    tasks = SineTasks("thesis", k_shot=5, meta_batch=2000, seed=0)
    batch = tasks.sample()
    assert batch.x_support.shape == (2000, 5, 1) and batch.x_query.shape == (2000, 10, 1)
    a, w, b = batch.info["amplitude"], batch.info["frequency"], batch.info["phase"]
    assert 0.1 <= a.min() and a.max() <= 5.0 and a.max() > 4.9
    assert 0.8 <= w.min() and w.max() <= 1.2
    assert 0.0 <= b.min() and b.max() <= math.pi
    x = torch.cat([batch.x_support, batch.x_query], 1)
    assert -5.0 <= x.min() and x.max() <= 5.0
    expected = a.view(-1, 1, 1) * torch.sin(w.view(-1, 1, 1) * batch.x_query - b.view(-1, 1, 1))
    torch.testing.assert_close(batch.y_query, expected)


def test_maml_sine_has_no_frequency_and_k_plus_k_points():
    batch = SineTasks("maml", k_shot=7, meta_batch=50, seed=1).sample()
    assert batch.x_query.shape == (50, 7, 1)
    assert torch.all(batch.info["frequency"] == 1.0)


def test_same_seed_same_tasks_and_state_resumes_stream():
    one, two = SineTasks(seed=3), SineTasks(seed=3)
    torch.testing.assert_close(one.sample().y_query, two.sample().y_query)
    state = one.state_dict()
    after = one.sample().y_query
    two.load_state_dict(state)
    torch.testing.assert_close(two.sample().y_query, after)
    assert not torch.equal(SineTasks(seed=4).sample().y_query, SineTasks(seed=3).sample().y_query)


def test_polynomial_coefficients_shrink_by_powers_of_two():
    batch = PolynomialTasks(order=2, meta_batch=5000, seed=0).sample()
    c = batch.info["coefficients"]
    assert c.shape == (5000, 3)
    bounds = c.abs().max(0).values
    assert torch.allclose(bounds, torch.tensor([1.0, 0.5, 0.25]), atol=0.01)
    x = batch.x_support
    assert -2 <= x.min() and x.max() <= 2
    torch.testing.assert_close(batch.y_support, c[:, :1, None] + c[:, 1:2, None] * x + c[:, 2:3, None] * x**2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"k_shot": 0}, "k_shot must be an integer >= 1"),
        ({"q_query": -2}, "q_query must be an integer >= 1"),
        ({"meta_batch": 0}, "meta_batch"),
        ({"variant": "cosine"}, "variant must be one of 'thesis', 'maml'"),
    ],
)
def test_sine_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SineTasks(**kwargs)


def test_polynomial_negative_order():
    with pytest.raises(ValueError, match="order must be an integer >= 0"):
        PolynomialTasks(order=-1)
