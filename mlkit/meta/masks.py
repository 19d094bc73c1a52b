"""Learned update masks of MT-nets (Lee 2018, §3.2: eqs. 3.6–3.9, Algorithm 2).

Each adaptable weight gets a binary mask M in the inner update θ' = θ − α·M ⊙ ∇L. Its entries are Bernoulli
with P(M = 1) = sigmoid(ζ) (eq. 3.7), ζ meta-learned. Two layouts (the thesis code, yoonholee/MT-net):
- per unit (MT-net, M-net): one logit per output unit of a layer, shared by the layer's weight rows and its
  bias (and, in the conv learner, its batch-norm scale and shift); ζ starts at 0, so P = 0.5;
- per weight ("-full"): one logit per weight and per bias, started from a truncated normal with std 0.1 for
  the fully connected learner and 0.01 for the convolutional one.
A mask is drawn with the straight-through Gumbel-softmax over the two logits [ζ, 0] (eqs. 3.8–3.9): with
Gumbel noises g1, g2 and temperature c, soft = sigmoid((ζ + g1 − g2) / c); the forward value is the hard 0/1
choice (soft > 1/2, which happens with probability sigmoid(ζ)) and the gradient is the soft one's.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from mlkit.checks import check_choice
from mlkit.learners import Learner
from mlkit.learners.base import truncated_normal_

MASK_MODES = ("sample", "expected", "hard")


def layer_of(name: str) -> str:
    """The layer a parameter belongs to: its trailing index (``w1``, ``b1`` -> ``1``; ``conv2``, ``gamma2`` ->
    ``2``), else the part before ``_`` (``fc_w``, ``fc_b`` -> ``fc``)."""
    stem = name.rstrip("0123456789")
    return name[len(stem):] if stem != name else name.rsplit("_", 1)[0]


def gumbel_noise(shape: tuple[int, ...], like: Tensor) -> Tensor:
    """Gumbel(0, 1) samples: −log(E) with E ~ Exponential(1)."""
    exponential = torch.empty(shape, dtype=like.dtype, device=like.device).exponential_()
    return -exponential.clamp_min(torch.finfo(like.dtype).tiny).log()


def straight_through_mask(logits: Tensor, n_tasks: int, temperature: float) -> Tensor:
    """One hard 0/1 mask per task [T, *logits.shape], with the Gumbel-softmax gradient w.r.t. the logits."""
    shape = (n_tasks, *logits.shape)
    soft = torch.sigmoid((logits + gumbel_noise(shape, logits) - gumbel_noise(shape, logits)) / temperature)
    hard = (soft > 0.5).to(soft.dtype)
    return hard + (soft - soft.detach())  # value: exactly hard (the bracket is 0); gradient: soft's


class UpdateMasks(nn.Module):
    """Mask logits ζ for the adaptable parameters of a learner, and the masks they draw.

    Attributes:
        logits: per unit {layer's first parameter name: ζ [units]}, or per weight {name: ζ [*shape]}.
        layers: {layer's first parameter name: names of the parameters of that layer}.
    """

    def __init__(self, learner: Learner, per_weight: bool = False) -> None:
        super().__init__()
        self.per_weight = per_weight
        self.names = tuple(learner.adaptable)
        params = dict(learner.named_parameters())
        self.shapes = {n: tuple(params[n].shape) for n in self.names}
        self.unit_axis = dict(learner.unit_axis)
        self.layers: dict[str, list[str]] = {}
        by_index: dict[str, str] = {}
        for name in self.names:
            key = by_index.setdefault(layer_of(name), name)
            self.layers.setdefault(key, []).append(name)
        std = 0.01 if any(p.dim() == 4 for p in params.values()) else 0.1  # conv learner / fully connected
        self.logits = nn.ParameterDict()
        if per_weight:
            for name in self.names:
                self.logits[name] = nn.Parameter(truncated_normal_(torch.empty(self.shapes[name]), std))
            return
        for key, members in self.layers.items():
            units = {self.shapes[n][self.unit_axis[n]] for n in members}
            if len(units) != 1:
                raise ValueError(f"parameters {members} of layer {key!r} disagree on their number of units: {units}")
            self.logits[key] = nn.Parameter(torch.zeros(units.pop()))

    def probabilities(self) -> dict[str, Tensor]:
        """P(mask = 1) = sigmoid(ζ) for each entry of ``logits`` (detached: for reading, not training)."""
        return {key: torch.sigmoid(z.detach()) for key, z in self.logits.items()}

    def update_fraction(self) -> dict[str, float]:
        """Expected fraction of each layer's weights that the inner loop updates: mean of sigmoid(ζ)."""
        p = self.probabilities()
        if not self.per_weight:
            return {key: float(p[key].mean()) for key in self.layers}
        return {key: float(torch.cat([p[n].reshape(-1) for n in members]).mean()) for key, members in self.layers.items()}

    def sample(self, n_tasks: int, temperature: float, mode: str = "sample") -> dict[str, Tensor]:
        """Masks {name: [T, *shape-broadcastable]}, one per task, for every adaptable parameter.

        ``mode``: ``"sample"`` draws straight-through Gumbel-softmax masks (training, and evaluation as in the
        reference code); ``"expected"`` uses M = sigmoid(ζ) (soft, the mean mask); ``"hard"`` uses the most
        likely mask M = 1[ζ > 0].
        """
        check_choice("mask_mode", mode, MASK_MODES)
        masks = {}
        for key, z in self.logits.items():
            if mode == "sample":
                m = straight_through_mask(z, n_tasks, temperature)  # [T, *z.shape]
            else:
                m = (torch.sigmoid(z) if mode == "expected" else (z > 0).to(z.dtype)).expand(n_tasks, *z.shape)
            for name in ([key] if self.per_weight else self.layers[key]):
                masks[name] = m if self.per_weight else self._along_units(m, name)
        return masks

    def _along_units(self, unit_mask: Tensor, name: str) -> Tensor:
        """[T, units] -> [T, 1, .., units, .., 1] lined up with the unit axis of parameter ``name``."""
        view = [unit_mask.shape[0]] + [1] * len(self.shapes[name])
        view[1 + self.unit_axis[name]] = unit_mask.shape[1]
        return unit_mask.reshape(view)
