"""Meta-SGD (Li, Zhou, Chen & Li 2017, eq. 3; thesis §5 related work): MAML with a learned step size per weight.

    θ'_T  =  θ − α ⊙ ∇_θ L_T(θ, D_support)

α has the shape of θ (one step size per weight, sign included: a coordinate may learn to step uphill) and
is trained together with θ by the outer optimiser on the same query loss as MAML. It starts at ``alpha``
everywhere. Everything else — the inner loop, the meta-loss, adaptation — is MAML's.
"""
from __future__ import annotations

import torch
from torch import nn

from mlkit.learners import Learner
from mlkit.meta.inner import StepSize
from mlkit.meta.maml import MAML


class MetaSGD(MAML):
    """MAML whose inner step size α is a learned tensor of the shape of each adaptable parameter.

    Li, Zhou, Chen & Li (2017), eq. 3: θ' = θ − α ⊙ ∇L with α meta-learned beside θ.

    Args: as ``MAML``; ``alpha`` is the initial value of every learned step size.
    ``adapt(..., alpha=None)`` uses the learned α; a number given there replaces it by that scalar (plain
    MAML steps from the Meta-SGD initialisation), which the step-size explorers use.
    """

    name = "metasgd"

    def __init__(
        self, learner: Learner, task_type: str = "regression", meta_lr: float = 1e-3,
        steps: int = 1, alpha: float = 0.01, first_order: bool = False,
    ) -> None:
        super().__init__(learner, task_type, meta_lr, steps, alpha, first_order)
        params = dict(learner.named_parameters())
        self.alphas = nn.ParameterDict(
            {name: nn.Parameter(torch.full_like(params[name], self.alpha)) for name in learner.adaptable}
        )

    def step_size(self) -> StepSize:
        return dict(self.alphas.items())  # {name: α [*shape]}, broadcast over the task dimension
