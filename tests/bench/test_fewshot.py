"""The fewshot benchmark: batched and one-at-a-time meta-gradients agree; its output is complete and consistent.

Correctness only: timing is the benchmark's job, never a test's (shared, noisy machines).
"""
from __future__ import annotations

import json

import pytest

from mlkit.bench import benchmarks
from mlkit.bench.fewshot import META_BATCHES, TARGET, run


@pytest.fixture(scope="module")
def result():
    return run(as_json=True, seconds=0.01, rounds=1, methods=("maml", "protonet"))


def test_batched_and_one_at_a_time_give_the_same_meta_gradient(result):
    assert [(r["method"], r["meta_batch"]) for r in result["rows"]] == [
        (m, t) for m in ("maml", "protonet") for t in META_BATCHES]
    for row in result["rows"]:
        assert row["max_grad_difference"] < 1e-4, row


def test_ratios_are_batched_over_one_at_a_time_and_the_target_follows_the_gradient_based_rows(result):
    for row in result["rows"]:
        assert min(row["batched_eps"], row["one_at_a_time_eps"]) > 0
        assert row["ratio"] == pytest.approx(row["batched_eps"] / row["one_at_a_time_eps"])
    maml = [r["ratio"] for r in result["rows"] if r["method"] == "maml"]
    assert result["target_met"] == all(r >= TARGET for r in maml)


def test_what_batching_can_gain_is_measured_for_every_meta_batch(result):
    assert [c["meta_batch"] for c in result["one_call"]] == list(META_BATCHES)
    assert all(c["ratio"] > 0 for c in result["one_call"])


def test_printed_json_is_the_result_and_text_says_what_batching_can_gain(capsys):
    assert benchmarks()["fewshot"] is run
    result = run(as_json=True, seconds=0.01, rounds=1, methods=("protonet",))
    assert json.loads(capsys.readouterr().out)["rows"] == json.loads(json.dumps(result["rows"]))
    assert result["target_met"] is False  # no gradient-based method measured: nothing meets the target
    run(seconds=0.01, rounds=1, methods=("protonet",))
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith(f"gradient-based methods at >= {TARGET}x batched over one at a time: NO (none measured)")
    assert lines[-1].startswith("what batching can gain here: the ConvNet on all T episodes' images in one call runs")
