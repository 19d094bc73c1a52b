"""The maml-sine benchmark: its three implementations compute the same meta-gradient; its output is complete.

Correctness only: timing is the benchmark's job, never a test's (shared, noisy machines).
"""
from __future__ import annotations

import json

import pytest
import torch

from mlkit.bench import benchmarks
from mlkit.bench.maml_sine import CONFIGS, format_table, gradient_differences, run


@pytest.mark.parametrize("steps, first_order", CONFIGS)
def test_three_implementations_give_the_same_meta_gradient_in_float64(steps, first_order):
    differences = gradient_differences(steps, first_order, dtype=torch.float64)
    assert differences.keys() == {"plain loop", "hand bmm"}
    assert max(differences.values()) < 1e-12


def test_first_and_second_order_meta_gradients_differ():
    """Guards the check above: a reference silently dropping the Hessian terms would not pass unnoticed."""
    from mlkit.bench.maml_sine import implementations
    from mlkit.tasks import SineTasks

    batch = SineTasks("maml", k_shot=10, meta_batch=25, seed=1).sample().to(torch.float64)
    second = implementations(5, False, dtype=torch.float64)["plain loop"].gradient(batch)
    first = implementations(5, True, dtype=torch.float64)["plain loop"].gradient(batch)
    assert max((a - b).abs().max().item() for a, b in zip(first, second)) > 1e-9


def test_run_prints_json_with_rates_ratios_and_gradient_checks(capsys):
    assert benchmarks()["maml-sine"] is run
    result = run(as_json=True, seconds=0.01, rounds=1)
    printed = json.loads(capsys.readouterr().out)
    assert printed["rows"] == json.loads(json.dumps(result["rows"]))
    assert [(r["steps"], r["order"]) for r in result["rows"]] == [(1, "second"), (5, "second"), (1, "first"), (5, "first")]
    for row in result["rows"]:
        assert set(row["it_per_s"]) == {"plain loop", "hand bmm", "mlkit"} and min(row["it_per_s"].values()) > 0
        assert row["mlkit_vs_plain"] == pytest.approx(row["it_per_s"]["mlkit"] / row["it_per_s"]["plain loop"])
        assert row["mlkit_vs_hand"] == pytest.approx(row["it_per_s"]["mlkit"] / row["it_per_s"]["hand bmm"])
        assert max(row["max_abs_grad_diff"].values()) < 1e-5  # float32
    table = format_table(result)
    assert "mlkit/plain" in table and "mlkit/hand" in table and len(table.splitlines()) == 8
