"""Evaluation: the papers' 95% interval, seeded task streams, the metric per task type."""
import math

import numpy as np
import pytest
import torch

from mlkit.evaluate import confidence_interval, evaluate
from mlkit.learners import MLP
from mlkit.meta import FineTune
from mlkit.tasks import SineTasks


def test_interval_is_1_96_population_std_over_sqrt_n():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    score = confidence_interval(values)
    assert score.mean == 2.5
    assert math.isclose(score.ci95, 1.96 * np.sqrt(1.25) / 2)
    assert str(score) == "2.500 ± 1.096"
    assert str(confidence_interval([0.5, 1.0], "accuracy")) == "75.00 ± 34.65 %"


def test_empty_values_refused():
    with pytest.raises(ValueError, match="at least one task"):
        confidence_interval([])


def test_evaluate_is_seeded_and_chunking_does_not_matter():
    torch.manual_seed(0)
    meta = FineTune(MLP((1, 20, 1)), steps=2, lr=0.01)
    a = evaluate(meta, SineTasks(seed=5), n_tasks=60, chunk=60)
    b = evaluate(meta, SineTasks(seed=5), n_tasks=60, chunk=7)
    assert a.n == 60 and a.metric == "mse"
    np.testing.assert_allclose(a.values, b.values, rtol=1e-5)
    # the network outputs ~0, so the MSE is the mean square of A sin(.) over the queries: about E[A^2]/2 = 4.2
    assert 3.0 < a.mean < 5.5


def test_adapt_arguments_reach_the_method():
    torch.manual_seed(0)
    meta = FineTune(MLP((1, 20, 1)))
    none = evaluate(meta, SineTasks(seed=1), n_tasks=50, steps=0)
    many = evaluate(meta, SineTasks(seed=1), n_tasks=50, steps=50, lr=0.02)
    assert many.mean < none.mean
