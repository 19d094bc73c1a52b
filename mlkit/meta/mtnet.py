"""T-nets, MT-nets and their ablations (Lee 2018, §3.1–3.2, Algorithms 1–2; Table 6.1's rows).

- T-net (Algorithm 1): the learner interleaves meta-learned matrices T with its layers, y = T W x
  (eq. 3.1); the inner loop adapts W only (eq. 3.2), so one step moves y by −α T Tᵀ ∇_A L x (eq. 4.3):
  T learns the metric of the inner update. Here it is MAML on a learner built with ``transform=True``.
- MT-net (Algorithm 2): a T-net whose inner update is masked, W' = W − α M ⊙ ∇_W L (eq. 3.6), M drawn once
  per task from learned logits ζ (eqs. 3.7–3.9, see ``masks.py``) and reused for every inner step; only
  the masked-in units adapt, in a subspace chosen by T (eq. 4.4–4.5).
- M-net: the mask without T; "-full" variants: one logit per weight instead of per output unit.

| name         | T matrices | mask logits ζ        |
|--------------|------------|----------------------|
| ``tnet``       | yes        | none                 |
| ``mtnet``      | yes        | one per output unit  |
| ``mnet``       | no         | one per output unit  |
| ``mtnet-full`` | yes        | one per weight       |
| ``mnet-full``  | no         | one per weight       |
"""
from __future__ import annotations

from typing import Mapping

from torch import Tensor

from mlkit.checks import check_choice, check_positive
from mlkit.learners import Learner
from mlkit.meta.base import Predictor
from mlkit.meta.maml import MAML
from mlkit.meta.masks import MASK_MODES, UpdateMasks


class TNet(MAML):
    """MAML on a learner with identity-initialised T matrices that are meta-learned only (never adapted).

    Lee (2018) thesis, Algorithm 1: y = T W x (eq. 3.1), the inner loop adapts W only (eq. 3.2).

    Args: as ``MAML``; the learner must be built with ``transform=True`` (``recipes.build`` does it).
    """

    name = "tnet"
    uses_transform = True


class MTNet(MAML):
    """MT-net: T matrices plus a learned per-unit update mask, one Gumbel-softmax sample per task.

    Lee (2018) thesis, Algorithm 2: W' = W − α M ⊙ ∇_W L (eq. 3.6), M drawn from learned logits (eqs. 3.7–3.9).

    Args: as ``MAML``, and
        temperature: Gumbel-softmax temperature c of eq. 3.9 (> 0); only the gradient to ζ depends on it.
        mask_mode: the mask ``adapt`` uses by default: ``"sample"`` (a fresh straight-through sample per task,
            as the reference code evaluates), ``"expected"`` (M = sigmoid(ζ)) or ``"hard"`` (M = 1[ζ > 0]).
    """

    name = "mtnet"
    uses_transform = True
    per_weight = False

    def __init__(
        self, learner: Learner, task_type: str = "regression", meta_lr: float = 1e-3,
        steps: int = 1, alpha: float = 0.01, first_order: bool = False, temperature: float = 1.0,
        mask_mode: str = "sample",
    ) -> None:
        super().__init__(learner, task_type, meta_lr, steps, alpha, first_order)
        self.temperature = check_positive("temperature", temperature)
        self.mask_mode = check_choice("mask_mode", mask_mode, MASK_MODES)
        self.hparams.update(temperature=self.temperature, mask_mode=self.mask_mode)
        self.masks = UpdateMasks(learner, per_weight=self.per_weight)

    def update_mask(self, n_tasks: int) -> Mapping[str, Tensor]:
        return self.masks.sample(n_tasks, self.temperature)

    def adapt(self, x_support: Tensor, y_support: Tensor, steps: int | None = None, alpha: float | None = None,
              mask_mode: str | None = None) -> Predictor:
        """As ``MAML.adapt``, with the masks of ``mask_mode`` (default: the constructor's); the masks used,
        {name: [T, ...]}, are returned in ``extras["mask"]``."""
        mode = self.mask_mode if mask_mode is None else check_choice("mask_mode", mask_mode, MASK_MODES)

        def mask(n_tasks: int) -> dict[str, Tensor]:
            return {n: m.detach() for n, m in self.masks.sample(n_tasks, self.temperature, mode).items()}

        return self._adapt(x_support, y_support, steps, alpha, mask)

    def update_fraction(self) -> dict[str, float]:
        """Expected fraction of weights the inner loop updates, per layer: mean sigmoid(ζ) (thesis Figure 6.1)."""
        return self.masks.update_fraction()


class MNet(MTNet):
    """M-net: the MT-net's per-unit mask on a plain learner (no T matrices).

    An ablation of Lee (2018), thesis Table 6.1.
    """

    name = "mnet"
    uses_transform = False


class MTNetFull(MTNet):
    """MT-net-full: T matrices and one mask logit per weight and per bias.

    An ablation of Lee (2018), thesis Table 6.1.
    """

    name = "mtnet-full"
    per_weight = True


class MNetFull(MTNet):
    """M-net-full: one mask logit per weight and per bias, no T matrices.

    An ablation of Lee (2018), thesis Table 6.1.
    """

    name = "mnet-full"
    uses_transform = False
    per_weight = True
