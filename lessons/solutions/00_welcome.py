"""Code solutions for lessons/00_welcome.md (exercises 1-3). Run: python lessons/solutions/00_welcome.py"""
import torch

from mlkit.tasks import EpisodeSampler, Glyphs, SineTasks


def flat_predictor_mse(n_tasks: int = 100_000) -> tuple[float, float]:
    """Exercise 1: analytic and Monte-Carlo MSE of always predicting 0 on the thesis sine tasks."""
    low, high = SineTasks.amplitude_range
    analytic = (high**3 - low**3) / (3 * (high - low)) / 2  # E[A^2] * E[sin^2] with E[sin^2] = 1/2
    batch = SineTasks(k_shot=1, meta_batch=n_tasks, seed=0).sample()
    return analytic, float((batch.y_query**2).mean())


def twenty_way_five_shot() -> tuple[int, int, bool]:
    """Exercise 2: image counts of a 20-way 5-shot episode and the label balance of its support set."""
    sampler = EpisodeSampler(Glyphs(split="test"), n_way=20, k_shot=5, q_query=3, meta_batch=4, seed=0)
    batch = sampler.sample()
    balanced = all(torch.equal(torch.bincount(batch.y_support[t]), torch.full((20,), 5)) for t in range(4))
    return batch.x_support.shape[1], batch.x_query.shape[1], balanced


def too_many_shots() -> str:
    """Exercise 3: the message for k_shot + q_query larger than the images of a class."""
    try:
        EpisodeSampler(Glyphs(split="test"), k_shot=18, q_query=5)
    except ValueError as error:
        return str(error)
    raise AssertionError("expected a ValueError")


if __name__ == "__main__":
    analytic, sampled = flat_predictor_mse()
    print(f"flat predictor MSE: analytic {analytic:.3f}, Monte-Carlo {sampled:.3f}")
    print("20-way 5-shot episode (support, query, balanced):", twenty_way_five_shot())
    print(too_many_shots())
