"""The Sampler protocol: what train, evaluate and recipes.build take, and reseeded(), the fixed stream they ask for."""
import torch

from mlkit.tasks import EpisodeSampler, PolynomialTasks, Sampler, SineTasks
from random_episodes import noisy_dataset


def _samplers(seed=3):
    return [SineTasks(seed=seed), PolynomialTasks(order=2, seed=seed),
            EpisodeSampler(noisy_dataset(), n_way=3, k_shot=1, q_query=2, meta_batch=2, seed=seed)]


def _same(a, b):
    return all(torch.equal(getattr(a, f), getattr(b, f)) for f in ("x_support", "y_support", "x_query", "y_query"))


def test_the_package_samplers_satisfy_the_protocol():
    for sampler in _samplers():
        assert isinstance(sampler, Sampler), type(sampler).__name__


def test_reseeded_starts_the_stream_afresh_and_leaves_the_original_alone():
    for sampler, twin in zip(_samplers(), _samplers()):
        first = sampler.sample()
        position = sampler.state_dict()["generator"].clone()
        again = sampler.reseeded()
        assert _same(again.sample(), first)  # the stream from its seed again
        assert _same(sampler.reseeded().sample(), first)  # ... every time it is asked
        assert torch.equal(sampler.state_dict()["generator"], position)  # the original did not move
        twin.sample()
        assert _same(sampler.sample(), twin.sample())
        other = sampler.reseeded(7919)
        assert other.seed == 7919 and sampler.seed == 3
        assert _same(other.sample(), _fresh(sampler, 7919).sample())


def _fresh(sampler, seed):
    """The same sampler built from scratch with another seed."""
    return {SineTasks: lambda: SineTasks(seed=seed), PolynomialTasks: lambda: PolynomialTasks(order=2, seed=seed),
            EpisodeSampler: lambda: EpisodeSampler(noisy_dataset(), n_way=3, k_shot=1, q_query=2, meta_batch=2,
                                                   seed=seed)}[type(sampler)]()


def test_state_dict_round_trip():
    for sampler in _samplers():
        state = sampler.state_dict()
        first = sampler.sample()
        sampler.load_state_dict(state)
        assert _same(sampler.sample(), first)
