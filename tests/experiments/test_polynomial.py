"""mlkit/experiments/polynomial.py (thesis Figure 6.1): per-layer update fractions and the growth check."""
import pytest

from mlkit.experiments import experiments
from mlkit.experiments.polynomial import growth_check, grows, mean_interval, overall_fraction, reproduce_polynomial
from mlkit.experiments.report import load_result


def test_fractions_come_out_per_layer_and_per_seed(tmp_path):
    result = reproduce_polynomial(iterations=3, orders=(0, 1), seeds=(0, 1), n_tasks=20, out_dir=tmp_path, quick=True)
    assert [(r["order"], r["seed"]) for r in result["runs"]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for run in result["runs"]:
        assert set(run["layers"]) == {"w0", "w1", "w2"}
        assert all(0 < f < 1 for f in run["layers"].values())
        assert run["overall"] == pytest.approx(overall_fraction(run["layers"], {"w0": 40, "w1": 40, "w2": 1}))
        assert run["overall_text_formula"] == pytest.approx(1 - run["overall"])  # sigmoid(−ζ) = 1 − sigmoid(ζ)
    for key in ("grows_with_order", "grows_with_order_text_formula"):
        assert set(result[key]["per_seed"]) == {"0", "1"} and set(result[key]["mean_over_seeds"]) == {"0", "1"}
    markdown = (tmp_path / "polynomial.md").read_text()
    assert markdown.count("- CHECK ") == 2 and "Seeds with a collapsed order-1/2 run" in markdown and "| w0: sigmoid(ζ) |" in markdown and "adapted range |" in markdown
    assert (tmp_path / "poly0-mtnet.pt").is_file() and (tmp_path / "poly1-mtnet.pt").is_file()


def test_overall_fraction_weights_layers_by_their_logits():
    assert overall_fraction({"a": 1.0, "b": 0.0}, {"a": 3, "b": 1}) == 0.75
    assert grows([0.1, 0.2, 0.3]) and not grows([0.1, 0.3, 0.2]) and not grows([0.2, 0.2])
    runs = [{"order": n, "seed": s, "f": n + (s == 1) * (n == 2) * -5.0} for n in (0, 1, 2) for s in (0, 1)]
    check = growth_check(runs, "f")  # seed 1 falls at order 2
    assert check["per_seed"] == {"0": True, "1": False} and check["seeds_passing"] == 1
    assert check["mean_over_seeds"] == {"0": 0.0, "1": 1.0, "2": -0.5} and not check["mean"]
    up, down = check["steps"]  # changes paired by seed: 0 → 1 is +1 on both; 1 → 2 is +1 and −4
    assert (up["from"], up["to"], up["mean_change"], up["ci95"], up["seeds_rising"]) == (0, 1, 1.0, 0.0, 2)
    assert down["mean_change"] == -1.5 and down["seeds_rising"] == 1
    assert down["ci95"] == pytest.approx(12.706 * 2.5)  # t(0.975, 1) · s / √2 with s = 5 / √2


def test_mean_interval_uses_student_t_over_few_seeds():
    mean, half = mean_interval([1.0, 2.0, 3.0, 4.0])  # s = √(5/3), t(0.975, 3) = 3.182
    assert mean == 2.5 and half == pytest.approx(3.182 * (5 / 3) ** 0.5 / 2)
    assert mean_interval([0.7]) == (0.7, None)
    values = [float(v % 7) for v in range(40)]  # beyond the table: the normal quantile
    n_mean, n_half = mean_interval(values)
    std = (sum((v - n_mean) ** 2 for v in values) / 39) ** 0.5
    assert n_half == pytest.approx(1.96 * std / 40**0.5)


def test_shipped_result_reports_the_check_for_ten_seeds():
    result = load_result("polynomial")
    assert result["settings"]["seeds"] == list(range(10)) and result["settings"]["orders"] == [0, 1, 2]
    assert len(result["runs"]) == 30 and len(result["other_alphas"]["0.001"]["runs"]) == 9
    for key in ("grows_with_order", "grows_with_order_text_formula"):
        assert result[key]["seeds_passing"] == sum(result[key]["per_seed"].values())
        assert [(s["from"], s["to"]) for s in result[key]["steps"]] == [(0, 1), (1, 2)]
    collapsed = {r["seed"] for r in result["runs"] if r["order"] > 0 and r["adapted_range"] < 0.05}
    assert result["seeds_with_a_collapsed_run"] == sorted(collapsed)


def test_registered_for_the_command_line():
    assert "polynomial" in experiments()


def test_adapted_range_is_zero_for_a_constant_learner_and_positive_otherwise():
    import torch

    from mlkit.experiments.polynomial import adapted_range
    from mlkit.experiments.regression_runs import RunSpec
    from mlkit.recipes import build

    spec = RunSpec("mtnet", tasks="polynomial", order=1, iterations=1)
    torch.manual_seed(0)
    meta = build("mtnet", spec.sampler(), alpha=0.5)
    with torch.no_grad():
        for name, weight in meta.learner.named_parameters():
            if name.startswith("w"):
                weight.normal_(0.0, 0.5)  # out of the tiny-weight start, where one step barely bends the function
    assert adapted_range(meta, spec, n_tasks=10) > 1e-2  # hidden layers adapt: the function bends with the task
    with torch.no_grad():
        for name, weight in meta.learner.named_parameters():
            if name == "w0":
                weight.zero_()  # no signal from x reaches the hidden layers: only biases move
    assert adapted_range(meta, spec, n_tasks=10) < 1e-6
