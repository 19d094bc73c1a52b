"""mlkit/exercises/leo.py: notebook 06's checks accept LEO's pieces as Rusu et al. (2019) write them (eqs. 3, 4, the
latent step of §2.3.2 and the KL term of eq. 8) and name each realistic mistake; LEO assembled from them races mlkit's
to the same numbers."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mlkit.exercises import Exercises, leo
from mlkit.exercises.feedback import Hint


# --- the teacher's solutions, with switches that make the realistic mistakes --------------------------------

def encode(x, y, encoder, relation, noise, partner_first=False, std_map=None, pooled=False, swap_halves=False,
           sample=lambda mean, std, noise: mean + std * noise, by_position=False, own_class_only=False):
    codes = encoder(x)
    m = len(codes)
    own, partner = codes.unsqueeze(1).expand(m, m, -1), codes.unsqueeze(0).expand(m, m, -1)
    out = relation(torch.cat([own, partner], dim=-1))  # [M, M, 2 n_z]
    if own_class_only:
        same = (y[:, None] == y[None, :]).float().unsqueeze(-1)
        related = (out * same).sum(1) / same.sum(1)
    else:
        related = out.mean(0 if partner_first else 1)
    if pooled:
        per_class = related.mean(0, keepdim=True).expand(len(noise), -1)
    elif by_position:
        per_class = related.reshape(len(noise), -1, related.shape[-1]).mean(1)
    else:
        per_class = torch.stack([related[y == n].mean(0) for n in range(len(noise))])
    mean, raw = per_class.chunk(2, dim=-1)
    if swap_halves:
        mean, raw = raw, mean
    std = (raw.exp() - 1).clamp_min(1e-10) if std_map is None else std_map(raw)
    return sample(mean, std, noise), mean, std


def decode(z, decoder, noise, offset=True, std_map=None, sample=lambda mean, std, noise: mean + std * noise,
           transpose=False):
    mean, raw = decoder(z).chunk(2, dim=-1)
    n, d = mean.shape
    shift = math.sqrt(2 / (d + n)) if offset else 0.0
    std = (raw.exp() - 1 + shift).clamp_min(1e-10) if std_map is None else std_map(raw)
    w = sample(mean, std, noise)
    return w.T if transpose else w


def latent_step(z, x, y, alpha, weights_of, sign=1.0, use_alpha=True, create_graph=True, reduction="mean"):
    loss = F.cross_entropy(x @ weights_of(z).T, y, reduction=reduction)
    grad, = torch.autograd.grad(loss, z, create_graph=create_graph)
    return z - sign * (alpha if use_alpha else 1.0) * grad


def kl_divergence(mean, std):
    return (0.5 * (std ** 2 + mean ** 2 - 1) - std.log()).mean()


def hint(check, function) -> str:
    with pytest.raises(Hint) as raised:
        check(function)
    return str(raised.value)


def test_the_teachers_solutions_pass() -> None:
    leo.check_encode(encode)
    leo.check_decode(decode)
    leo.check_latent_step(latent_step)
    leo.check_kl_divergence(kl_divergence)


def test_the_checks_model_matches_mlkits_leo() -> None:
    """The mistake models start from the same relation outputs as mlkit's LEO.encode."""
    x, y = leo.fixed_support()
    meta = leo.small_leo()
    mean, std = meta.encode(x[None], y[None])
    first, raw = leo.relation_outputs(x, y, meta.encoder, meta.relation).chunk(2, dim=-1)
    torch.testing.assert_close(mean[0], first)
    torch.testing.assert_close(std[0], (raw.exp() - 1).clamp_min(1e-10))
    assert bool((raw < 0).any()) and bool((raw > 0.2).any())  # σ on the floor and above it


@pytest.mark.parametrize("wrong, words", [
    (lambda *a: encode(*a, std_map=lambda u: (u / 2).exp()), "log-variance"),
    (lambda *a: encode(*a, std_map=lambda u: u), "raw scale u itself"),
    (lambda *a: encode(*a, std_map=lambda u: u.exp()), "is 1 too large"),
    (lambda *a: encode(*a, std_map=lambda u: u.exp() - 1), "clamp it at 1e-10"),
    (lambda *a: encode(*a, partner_first=True), "first member of the pairs"),
    (lambda *a: encode(*a, own_class_only=True), "only with the examples of its own class"),
    (lambda *a: encode(*a, pooled=True), "every class got the same μ"),
    (lambda *a: encode(*a, by_position=True), "group them by their label y"),
    (lambda *a: encode(*a, swap_halves=True), "are swapped"),
    (lambda *a: encode(*a, sample=lambda m, s, e: m), "z equals μ"),
    (lambda *a: encode(*a, sample=lambda m, s, e: m + s ** 2 * e), "by the variance"),
    (lambda *a: encode(*a, sample=lambda m, s, e: m + e), "ignores σ"),
    (lambda *a: encode(*a)[:2], "should return 3 things"),
    (lambda x, y, encoder, relation: None, "should take (x, y, encoder, relation, noise)"),
    (lambda x, y, encoder, relation, noise: None, "still the stub"),
    (lambda x, y, encoder, relation, noise: tuple(v.detach() for v in encode(x, y, encoder, relation, noise)),
     "cut off"),
])
def test_encode_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(leo.check_encode, wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda *a: decode(*a, offset=False), "misses the offset"),
    (lambda *a: decode(*a, std_map=lambda u: u.exp()), "σ_w = e^u"),
    (lambda *a: decode(*a, std_map=lambda u: u), "raw scale u itself"),
    (lambda *a: decode(*a, sample=lambda m, s, e: m), "w equals μ_w"),
    (lambda *a: decode(*a, sample=lambda m, s, e: m + e), "ignores σ_w"),
    (lambda *a: decode(*a, transpose=True), "one row per class"),
    (lambda z, decoder, noise: decoder(z).chunk(2, dim=-1), "alone (one tensor)"),
])
def test_decode_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(leo.check_decode, wrong)


def step_on_weights(z, x, y, alpha, weights_of):
    """The realistic slip of stepping the decoded weights instead of the codes."""
    w = weights_of(z)
    grad, = torch.autograd.grad(F.cross_entropy(x @ w.T, y), w, create_graph=True)
    return w - alpha.mean() * grad


@pytest.mark.parametrize("wrong, words", [
    (step_on_weights, "LEO steps the codes z"),
    (lambda *a: latent_step(*a, sign=-1.0), "moves uphill"),
    (lambda *a: latent_step(*a, use_alpha=False), "ignores α"),
    (lambda *a: latent_step(*a, reduction="sum"), "6 times too large"),
    (lambda *a: latent_step(*a, create_graph=False), "misses the second-order term"),
    (lambda z, x, y, alpha, weights_of: latent_step(z, x, y, alpha, weights_of).detach(), "cut off from z"),
    (lambda z, x, y, alpha, weights_of: latent_step(z, x, y, alpha.mean().item(), weights_of),
     "one step size for every dimension"),
    (lambda z, x, y, alpha, weights_of: z.detach().clone(), "does not move the codes"),
])
def test_latent_step_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(leo.check_latent_step, wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda m, s: -kl_divergence(m, s), "wrong sign"),
    (lambda m, s: (s.log() + (1 + m ** 2) / (2 * s ** 2) - 0.5).mean(), "KL(p ‖ q)"),
    (lambda m, s: (0.5 * (s + m ** 2 - 1) - 0.5 * s.log()).mean(), "the variance σ²"),
    (lambda m, s: (0.5 * (s ** 2 + m ** 2 - 1) - 0.5 * s.log()).mean(), "not ½ log σ"),
    (lambda m, s: (0.5 * (s ** 2 + m ** 2) - s.log()).mean(), "the −1 is missing"),
    (lambda m, s: (0.5 * (s ** 2 + m ** 2 - 1) - s.log()).sum(), "you summed"),
    (lambda m, s: (0.5 * (s ** 2 + m ** 2 - 1) - s.log()).mean(1), "one value per class"),
    (lambda m, s: (0.5 * (s ** 2 + m ** 2 - 1) - s.log()).mean(0), "one value per latent dimension"),
    (lambda m, s: kl_divergence(m, s).item(), "Python number"),
    (lambda m, s: kl_divergence(m.detach(), s.detach()), "cut off"),
])
def test_kl_mistakes_get_their_hint(wrong, words) -> None:
    assert words in hint(leo.check_kl_divergence, wrong)


def test_a_students_error_is_reported_with_its_line() -> None:
    def broken(mean, std):
        return (0.5 * (std ** 2 + mean ** 2 - 1) - std.log()).mean(2)  # no axis 2: IndexError

    assert hint(leo.check_kl_divergence, broken).startswith("`kl_divergence` raised IndexError")


def test_checks_leave_the_notebooks_random_numbers_alone() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    test_the_teachers_solutions_pass()
    assert torch.equal(torch.rand(3), expected)


def test_through_otter_the_checks_show_pass_or_the_hint() -> None:
    exercises = Exercises("06_leo_tsne")
    env = {"encode": encode, "decode": decode, "latent_step": latent_step, "kl_divergence": kl_divergence}
    assert [repr(exercises.check(n, env)) for n in exercises.names] == [f"✓ {n}: passed" for n in exercises.names]
    wrong = exercises.check("kl_divergence", {"kl_divergence": lambda m, s: -kl_divergence(m, s)})
    assert not wrong.passed and repr(wrong).startswith("✗ kl_divergence: not yet\n  - the KL has the wrong sign")


def test_the_noise_is_drawn_as_mlkits_meta_loss_draws_it() -> None:
    """Seeded alike, the per-task eq. 8 from the teacher's functions equals LEO.meta_loss exactly (same draws)."""
    from mlkit.learners import MLP
    from mlkit.meta.leo import LEO
    from mlkit.tasks import EpisodeSampler
    from mlkit.tasks.features import FeatureDataset

    torch.manual_seed(0)
    data = FeatureDataset(F.normalize(torch.randn(12, 6, 10, dtype=torch.float64), dim=-1),
                          [str(c) for c in range(12)], "train", "toy")
    meta = LEO(MLP((10, 3)), k_shot=2, latent_dim=4, latent_steps=2, finetune_steps=2, dropout=0.3).double()
    batch = EpisodeSampler(data, 3, 2, 2, meta_batch=4, seed=0).sample()
    functions = leo.StudentLEO.of(encode, decode, latent_step, kl_divergence)
    torch.manual_seed(7)
    theirs = leo.student_meta_loss(meta, functions, batch, leo.draw_noise(meta, batch))
    torch.manual_seed(7)
    torch.testing.assert_close(theirs, meta.meta_loss(batch), rtol=1e-12, atol=1e-12)


def test_the_students_leo_races_mlkits_to_the_same_numbers() -> None:
    race = leo.race_leo(encode, decode, latent_step, kl_divergence, iterations=3, progress=False)
    assert race.error is None and race.agree() and len(race.student) == 3, race.report()


def test_a_broken_student_function_stops_only_the_students_run() -> None:
    race = leo.race_leo(encode, decode, lambda z, x, y, alpha, weights_of: None, kl_divergence, iterations=2,
                        progress=False)
    assert race.error is not None and "still the stub" in race.error and len(race.mlkit) == 2
    assert "stopped after 0 of 2" in race.report()
    missing = leo.race_leo(None, decode, latent_step, kl_divergence, iterations=1, progress=False)
    assert "`encode` is not defined yet" in missing.error
