"""The code solutions of lesson 06 give the answers the solutions page states (on the shipped LEO models)."""
import importlib.util
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "lessons" / "solutions"


def load(name):
    spec = importlib.util.spec_from_file_location(f"leo_solution_{name}", SOLUTIONS / f"06_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kl_monte_carlo_converges_to_the_closed_form():
    errors = load("kl").compare(sizes=(10, 100_000))
    assert errors[100_000] < 0.01 < errors[10]


def test_latent_steps_rescue_the_strong_kl_encoder_and_fine_tuning_makes_up_most_of_it():
    solution = load("latent_steps")
    latent_only = solution.accuracy_by_steps(steps=(0, 5), n_tasks=100, model="strong-kl", finetune_steps=0)
    with_finetuning = solution.accuracy_by_steps(steps=(0,), n_tasks=100, model="strong-kl")
    assert latent_only[5] > latent_only[0] + 0.10  # the solutions page: about 24 points
    assert with_finetuning[0] > latent_only[0] + 0.10  # the fine-tuning steps alone recover most of it


def test_with_a_strong_kl_weight_adapted_codes_are_purer_relative_to_the_task_mean_and_all_beat_chance():
    strong = load("purity").purity_by_k(ks=(5,), n_tasks=100, model="strong-kl")
    assert strong["z_adapted centred"][5] > strong["z centred"][5] + 0.03
    tuned = load("purity").purity_by_k(ks=(5,), n_tasks=100)
    for table in (strong, tuned):
        assert min(table[name][5] for name in ("z", "z_adapted", "z centred")) > 5 * table["chance"][5]


def test_the_mean_code_does_not_move_and_one_step_separates_equal_codes():
    found = load("mean_code").mean_code_check(n_tasks=20)
    assert found["mean_shift"] < 1e-4 and found["gradient_sum"] < 1e-4 and found["spread_after_one_step"] > 0.01
