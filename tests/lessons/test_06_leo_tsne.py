"""The code solutions of lesson 06 give the answers the solutions page states (on the shipped LEO models). The
exercises on LEO's pieces and on the latent steps with and without fine-tuning moved into notebook 06 (checked by
tests/exercises/test_leo.py and tests/live/test_leo.py)."""
import importlib.util
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "lessons" / "solutions"


def load(name):
    spec = importlib.util.spec_from_file_location(f"leo_solution_{name}", SOLUTIONS / f"06_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_with_a_strong_kl_weight_adapted_codes_are_purer_relative_to_the_task_mean_and_all_beat_chance():
    strong = load("purity").purity_by_k(ks=(5,), n_tasks=100, model="strong-kl")
    assert strong["z_adapted centred"][5] > strong["z centred"][5] + 0.03
    tuned = load("purity").purity_by_k(ks=(5,), n_tasks=100)
    for table in (strong, tuned):
        assert min(table[name][5] for name in ("z", "z_adapted", "z centred")) > 5 * table["chance"][5]


def test_the_mean_code_does_not_move_and_one_step_separates_equal_codes():
    found = load("mean_code").mean_code_check(n_tasks=20)
    assert found["mean_shift"] < 1e-4 and found["gradient_sum"] < 1e-4 and found["spread_after_one_step"] > 0.01


def test_the_one_sample_kl_variance_quoted_in_the_solutions():
    """Exercise 5's answer: one sample of log q(z) − log p(z) at μ = 0.5, σ = 0.3 has standard deviation 0.66 and the
    closed form 0.874; a million samples agree."""
    import torch

    from mlkit.meta.leo import gaussian_kl

    mean, std = 0.5, 0.3
    z = mean + std * torch.randn(1_000_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    q, p = torch.distributions.Normal(mean, std), torch.distributions.Normal(0.0, 1.0)
    one_sample = q.log_prob(z) - p.log_prob(z)
    assert abs(float(one_sample.std()) - (mean ** 2 * std ** 2 + (std ** 2 - 1) ** 2 / 2) ** 0.5) < 0.005
    assert round(float(one_sample.std()), 2) == 0.66
    closed = float(gaussian_kl(torch.tensor(mean, dtype=torch.float64), torch.tensor(std, dtype=torch.float64)))
    assert round(closed, 3) == 0.874 and abs(float(one_sample.mean()) - closed) < 0.005
