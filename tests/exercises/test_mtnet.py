"""mlkit/exercises/mtnet.py: notebook 03's checks pass the teacher's MT-net step and name each realistic mistake;
the race trains the teacher's masks exactly as mlkit's MT-net does, on the same uniform draws."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mlkit.exercises import mtnet as checks
from mlkit.exercises.feedback import Hint
from mlkit.meta.masks import straight_through_mask


# --- the teacher's solutions, as in the notebook -----------------------------------------------------------

def tnet_cell(x, W, b, T):
    return (x @ W + b) @ T


def tnet(x, theta):
    h = F.relu(tnet_cell(x, theta["w0"], theta["b0"], theta["t0"]))
    h = F.relu(tnet_cell(h, theta["w1"], theta["b1"], theta["t1"]))
    return tnet_cell(h, theta["w2"], theta["b2"], theta["t2"])


def sample_mask(zeta, u1, u2, temperature):
    g1, g2 = -torch.log(-torch.log(u1)), -torch.log(-torch.log(u2))
    soft = torch.sigmoid((zeta + g1 - g2) / temperature)
    hard = (soft > 0.5).float()
    return hard + (soft - soft.detach())


def masked_inner_step(theta, masks, x, y, alpha):
    names = [name for name in theta if not name.startswith("t")]
    grads = torch.autograd.grad(F.mse_loss(tnet(x, theta), y), [theta[n] for n in names], create_graph=True)
    adapted = dict(theta)
    for name, g in zip(names, grads):
        adapted[name] = theta[name] - alpha * masks["w" + name[1:]] * g
    return adapted


def fraction_updated(zeta):
    return torch.sigmoid(zeta).mean()


def hint_of(check, *args) -> str:
    with pytest.raises(Hint) as raised:
        check(*args)
    return str(raised.value)


def test_the_teachers_solutions_pass():
    checks.check_sample_mask(sample_mask)
    checks.check_masked_inner_step(masked_inner_step, tnet)
    checks.check_fraction_updated(fraction_updated)


def test_the_checks_leave_the_global_random_numbers_alone():
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    test_the_teachers_solutions_pass()
    assert torch.equal(torch.rand(3), expected)


def test_the_other_straight_through_form_passes_too():
    def jang_style(zeta, u1, u2, temperature):  # y_soft + (y_hard − y_soft).detach(): values 1 ± rounding
        soft = torch.sigmoid((zeta - torch.log(-torch.log(u1)) + torch.log(-torch.log(u2))) / temperature)
        return soft + ((soft > 0.5).float() - soft).detach()

    checks.check_sample_mask(jang_style)


def test_other_right_masked_steps_pass_too():
    def reshaped(theta, masks, x, y, alpha):  # masks lined up by hand, the T's last
        names = [n for n in theta if not n.startswith("t")]
        grads = torch.autograd.grad(F.mse_loss(tnet(x, theta), y), [theta[n] for n in names], create_graph=True)
        moved = {}
        for name, g in zip(names, grads):
            m = masks[name.replace("b", "w")]
            moved[name] = theta[name] - alpha * (m.view(1, -1) if name.startswith("w") else m) * g
        return {**moved, **{n: w for n, w in theta.items() if n.startswith("t")}}

    checks.check_masked_inner_step(reshaped, tnet)


def test_given_noise_makes_mlkits_mask_the_students():
    zeta = torch.linspace(-2, 2, 30)
    u1, u2 = checks.fixed_noise(30, 4)
    assert torch.equal(checks.reference_mask(zeta, u1, u2, 0.7), sample_mask(zeta, u1, u2, 0.7))
    with pytest.raises(RuntimeError, match="more Gumbel noise than was given"):
        with checks.given_noise([]):
            straight_through_mask(zeta, 1, 1.0)


def test_the_mask_is_one_with_probability_sigmoid_zeta_at_every_temperature():
    generator = torch.Generator().manual_seed(0)
    zeta = torch.tensor([-2.0, 0.0, 1.5]).expand(20_000, 3)
    u1, u2 = torch.rand(20_000, 3, generator=generator), torch.rand(20_000, 3, generator=generator)
    for temperature in (0.5, 1.0, 2.0):
        frequency = sample_mask(zeta, u1, u2, temperature).mean(0)
        assert torch.allclose(frequency, torch.sigmoid(zeta[0]), atol=0.015), (temperature, frequency)


# --- exercise 1: the mask ----------------------------------------------------------------------------------

def noise(u):
    return -torch.log(-torch.log(u))


def straight_through(soft):
    return (soft > 0.5).float() + (soft - soft.detach())


@pytest.mark.parametrize("wrong, words", [
    (lambda z, u1, u2, c: torch.sigmoid((z + noise(u1) - noise(u2)) / c), "not binary: you returned the relaxed"),
    (lambda z, u1, u2, c: torch.sigmoid(z), "this is σ(ζ), the probability"),
    (lambda z, u1, u2, c: (torch.sigmoid((z + noise(u1) - noise(u2)) / c) > 0.5).float(), "passes no gradient"),
    (lambda z, u1, u2, c: torch.sigmoid((z + noise(u1) - noise(u2)) / c) > 0.5, "holds True/False"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid(z + noise(u1) - noise(u2))), "ignores the temperature"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid((z + noise(u1) - noise(u2)) * c)), "multiplied by the temp"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid((-z + noise(u1) - noise(u2)) / c)), "the wrong sign"),
    (lambda z, u1, u2, c: 1 - straight_through(torch.sigmoid((z + noise(u1) - noise(u2)) / c)), "inverted"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid((z + u1 - u2) / c)), "the uniforms are used as the noise"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid((z - u1.log() + u2.log()) / c)), "one log is missing"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid((z + noise(u2) - noise(u1)) / c)), "swapped"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid((z + noise(u1)) / c)), "the second noise is missing"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid((z + noise(u1) + noise(u2)) / c)), "g2 is added"),
    (lambda z, u1, u2, c: straight_through(torch.sigmoid(z / c)), "ignores the noise"),
    (lambda z, u1, u2, c: sample_mask(z, torch.rand(z.shape), torch.rand(z.shape), c), "draw no random numbers"),
    (lambda z, u1, u2, c: (torch.sigmoid((z + noise(u1) - noise(u2)) / c) > 0.5).float()
     + torch.sigmoid(z) - torch.sigmoid(z).detach(), "the gradient is that of σ(ζ)"),
    (lambda z, u1, u2, c: sample_mask(z, u1, u2, c)[None], "expected (64,)"),
    (lambda z, u1, u2, c: None, "still the stub"),
])
def test_a_wrong_mask_gets_its_hint(wrong, words):
    assert words in hint_of(checks.check_sample_mask, wrong)


# --- exercise 2: the masked step ---------------------------------------------------------------------------

def step_with(theta, masks, x, y, alpha, *, layer=None, bias=True, invert=False, on_weights=False, scale=1.0,
              create_graph=True, select=False, move_t=False, reduction="mean"):
    names = [n for n in theta if move_t or not n.startswith("t")]
    grads = torch.autograd.grad(F.mse_loss(tnet(x, theta), y, reduction=reduction), [theta[n] for n in names],
                                create_graph=create_graph)
    adapted = dict(theta)
    for name, g in zip(names, grads):
        key = (layer or {}).get("w" + name[1:], "w" + name[1:])
        m = masks.get(key) if not name.startswith("t") else torch.ones(())
        m = 1 - m if invert else m
        if name.startswith("b") and not bias:
            m = torch.ones_like(m)
        if on_weights:
            adapted[name] = m * (theta[name] - scale * alpha * g)
        elif select:
            adapted[name] = torch.where(m.bool(), theta[name] - scale * alpha * g, theta[name])
        else:
            adapted[name] = theta[name] - scale * alpha * m * g
    return adapted


@pytest.mark.parametrize("options, words", [
    ({"layer": {"w0": "w1", "w1": "w0"}}, "the mask of the wrong layer"),
    ({"bias": False}, "the biases of switched-off units moved"),
    ({"invert": True}, "M = 1 means updated"),
    ({"on_weights": True}, "the mask multiplies the gradient, not the weights"),
    ({"select": True}, "does not reach ζ"),
    ({"scale": -1.0}, "uphill"),
    ({"create_graph": False}, "misses the second-order term"),
    ({"move_t": True}, "T moved"),
    ({"reduction": "sum"}, "5 times too large"),
])
def test_a_wrong_masked_step_gets_its_hint(options, words):
    def wrong(theta, masks, x, y, alpha):
        return step_with(theta, masks, x, y, alpha, **options)

    assert words in hint_of(checks.check_masked_inner_step, wrong, tnet)


@pytest.mark.parametrize("wrong, words", [
    (lambda th, m, x, y, a: step_with(th, {k: torch.ones_like(v) for k, v in m.items()}, x, y, a),
     "the mask was not applied"),
    (lambda th, m, x, y, a: step_with(th, {k: v[:, None] if k == "w0" else v for k, v in m.items()}, x, y, a),
     "one entry per output unit"),
    (lambda th, m, x, y, a: {n: w.detach() for n, w in masked_inner_step(th, m, x, y, a).items()}, "cut off"),
    (lambda th, m, x, y, a: dict(th), "θ' equals θ"),
    (lambda th, m, x, y, a: None, "still the stub"),
])
def test_other_wrong_masked_steps_get_their_hint(wrong, words):
    assert words in hint_of(checks.check_masked_inner_step, wrong, tnet)


def test_the_check_uses_masks_with_units_on_and_off_in_both_hidden_layers():
    zeta = {"w0": torch.zeros(40), "w1": torch.zeros(40), "w2": torch.full((1,), 3.0)}
    masks = checks.unit_masks(zeta, seed=20)
    assert 5 < masks["w0"].sum() < 35 and 5 < masks["w1"].sum() < 35 and masks["w2"].item() == 1
    assert not torch.equal(masks["w0"], masks["w1"])


def test_a_changed_network_is_named():
    assert "`tnet` no longer computes the T-net" in hint_of(checks.check_masked_inner_step, masked_inner_step,
                                                           lambda x, theta: x)


# --- exercise 3: the fraction updated ----------------------------------------------------------------------

@pytest.mark.parametrize("wrong, words", [
    (lambda z: (torch.exp(-z) / (torch.exp(-z) + 1)).mean(), "the formula of the thesis's text"),
    (lambda z: (z > 0).float().mean(), "the most likely mask"),
    (lambda z: torch.sigmoid(z.mean()), "σ of the mean logit"),
    (lambda z: z.mean(), "the mean logit"),
    (lambda z: torch.sigmoid(z).sum(), "expected NUMBER"),
    (lambda z: torch.sigmoid(z), "one number"),
    (lambda z: 0.3, "the mean of σ(ζ_j)"),
])
def test_a_wrong_fraction_gets_its_hint(wrong, words):
    assert words in hint_of(checks.check_fraction_updated, wrong)


# --- the race ----------------------------------------------------------------------------------------------

def test_the_teachers_mt_net_trains_like_mlkits_on_the_same_draws():
    race, fractions = checks.race_mtnet(tnet, sample_mask, masked_inner_step, iterations=4, seed=2, progress=False)
    assert race.error is None and race.agree(1e-5), race.largest_difference
    assert set(fractions["yours"]) == {"w0", "w1", "w2"} and all(len(v) == 4 for v in fractions["yours"].values())
    assert all(0 < f < 1 for f in fractions["yours"]["w1"]) and fractions["expected"]["w1"][0] == 0.5


def test_a_broken_mt_net_is_reported_in_one_line_and_mlkits_trains_alone():
    race, _ = checks.race_mtnet(tnet, lambda zeta, u1, u2, temperature: None, masked_inner_step, iterations=3,
                                progress=False)
    assert "still the stub" in race.error and len(race.mlkit) == 3 and not race.student
    race, _ = checks.race_mtnet(tnet, sample_mask, None, iterations=2, progress=False)
    assert "not defined yet" in race.error

