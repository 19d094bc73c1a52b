"""Code solutions for lessons/00_welcome.md (exercises 1, 2 and 4). Run: python lessons/solutions/00_welcome.py"""
import torch

from mlkit.tasks import EpisodeSampler, Glyphs, SineTasks


def flat_predictor_mse(n_tasks: int = 100_000) -> tuple[float, float]:
    """Exercise 1: analytic and Monte-Carlo MSE of always predicting 0 on the thesis sine tasks."""
    low, high = SineTasks.amplitude_range
    analytic = (high**3 - low**3) / (3 * (high - low)) / 2  # E[A^2] * E[sin^2] with E[sin^2] = 1/2
    batch = SineTasks(k_shot=1, meta_batch=n_tasks, seed=0).sample()
    return analytic, float((batch.y_query**2).mean())


def too_many_shots() -> str:
    """Exercise 2: the message for k_shot + q_query larger than the images of a class."""
    try:
        EpisodeSampler(Glyphs(split="test"), k_shot=18, q_query=5)
    except ValueError as error:
        return str(error)
    raise AssertionError("expected a ValueError")


def best_single_curve_mse(n_tasks: int = 20_000, n_points: int = 201) -> tuple[float, float]:
    """Exercise 4: the query MSE of the best *single* curve for all thesis sine tasks, E_x[Var_tasks(y | x)], and of
    the flat predictor 0 on the same draws, by Monte Carlo over tasks on a grid of x in [-5, 5]."""
    tasks = SineTasks(k_shot=1, meta_batch=n_tasks, seed=0)
    grid = torch.linspace(-5.0, 5.0, n_points).view(1, -1, 1).expand(n_tasks, -1, -1)  # [T, n, 1]
    y = tasks.function(tasks.draw(n_tasks), grid)[..., 0]  # [T, n]: every task's curve on the grid
    best = y.var(dim=0, unbiased=False).mean()  # the mean curve y.mean(0) leaves the variance at each x
    return float(best), float((y**2).mean())


if __name__ == "__main__":
    analytic, sampled = flat_predictor_mse()
    print(f"flat predictor MSE: analytic {analytic:.3f}, Monte-Carlo {sampled:.3f}")
    print(too_many_shots())
    best, flat = best_single_curve_mse()
    print(f"best single curve for all tasks: MSE {best:.2f} (the flat predictor 0: {flat:.2f})")
