"""MAML and first-order MAML (Finn et al. 2017; Lee 2018 thesis §2.2, eqs. 2.1–2.2).

For every task of a meta-batch the initial weights θ take ``steps`` gradient steps on the task's support set,

    θ'_T  =  θ − α ∇_θ L_T(θ, D_support)                    (eq. 2.1, repeated ``steps`` times)

and θ is trained to make the *adapted* weights good on the query set:

    meta_loss  =  mean_T  L_T(θ'_T, D_query)                 (the objective of eq. 2.2, averaged over tasks)

Second-order MAML backpropagates through the inner gradients (their Hessian terms included); first-order MAML
(Finn et al. §5.2; Weng's survey, "First-Order MAML") treats them as constants, so the meta-gradient is the
query gradient taken at θ'. All tasks adapt at once through the shared ``inner_loop``: no loop over tasks.

``MAML`` also holds the hooks its relatives override: ``step_size`` (Meta-SGD learns α) and ``update_mask``
(MT-nets mask the update); T-nets only change the learner.
"""
from __future__ import annotations

from typing import Callable, ClassVar, Mapping

import torch
from torch import Tensor

from mlkit.checks import check_bool, check_int, check_positive
from mlkit.learners import Learner
from mlkit.meta.adapt_inputs import check_support, checked_queries
from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.inner import StepSize, TaskWeights, inner_loop
from mlkit.meta.losses import summed_task_loss
from mlkit.tasks.batch import TaskBatch


class MAML(MetaLearner):
    """Model-agnostic meta-learning: learn θ so that ``steps`` steps of size ``alpha`` adapt it to a task.

    Finn, Abbeel & Levine (2017); the inner step is eq. 2.1 of Lee (2018), the outer step eq. 2.2.

    Args:
        learner: the network (MLP or ConvNet); its parameters are θ.
        task_type: ``"regression"`` (MSE) or ``"classification"`` (cross-entropy).
        meta_lr: Adam learning rate of the outer loop (β in eq. 2.2).
        steps: inner gradient steps during meta-training (>= 0); ``adapt`` may use another number.
        alpha: inner step size α (finite, > 0).
        first_order: drop the second-order terms (first-order MAML).

    Example:
        >>> from mlkit.learners import MLP
        >>> from mlkit.tasks import SineTasks
        >>> meta = MAML(MLP((1, 40, 40, 1)), steps=1, alpha=0.01)
        >>> batch = SineTasks(k_shot=10, meta_batch=4, seed=0).sample()
        >>> meta.meta_loss(batch).shape
        torch.Size([])
        >>> meta.adapt(batch.x_support, batch.y_support, steps=5).predict(batch.x_query).shape
        torch.Size([4, 10, 1])
    """

    name = "maml"
    uses_transform: ClassVar[bool | None] = None  # True/False: the learner must (not) have T matrices

    def __init__(
        self, learner: Learner, task_type: str = "regression", meta_lr: float = 1e-3,
        steps: int = 1, alpha: float = 0.01, first_order: bool = False,
    ) -> None:
        super().__init__(learner, task_type, meta_lr)
        if self.uses_transform is not None and bool(getattr(learner, "transform", False)) != self.uses_transform:
            raise ValueError(
                f"learner must be built with transform={self.uses_transform} for {self.name!r}, "
                f"got transform={getattr(learner, 'transform', False)}"
            )
        self.steps = check_int("steps", steps, 0)
        self.alpha = check_positive("alpha", alpha)
        self.first_order = check_bool("first_order", first_order)
        self.hparams = {"steps": self.steps, "alpha": self.alpha, "first_order": self.first_order}

    # -- hooks for the relatives of MAML ------------------------------------------------------------------
    def step_size(self) -> StepSize:
        """α of the inner update: a fixed scalar here, learned tensors in Meta-SGD."""
        return self.alpha

    def update_mask(self, n_tasks: int) -> Mapping[str, Tensor] | None:
        """The mask M of the inner update for ``n_tasks`` tasks during meta-training (None: update everything)."""
        return None

    # -- the two faces -------------------------------------------------------------------------------------
    def adapted_weights(
        self, x_support: Tensor, y_support: Tensor, steps: int, alpha: StepSize,
        mask: Mapping[str, Tensor] | None = None, create_graph: bool = True, detach: bool = False,
    ) -> TaskWeights:
        """θ'_T for every task: ``steps`` inner steps from θ on the support sets ({name: [T, *shape]})."""
        return inner_loop(
            self.learner, self.learner.task_weights(x_support.shape[0]), x_support, y_support,
            steps=steps, alpha=alpha, task_type=self.task_type, names=self.learner.adaptable, mask=mask,
            create_graph=create_graph, detach=detach,
        )

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        """Mean query loss of the adapted weights, differentiable w.r.t. θ (and α, T, ζ where learned)."""
        weights = self.adapted_weights(
            batch.x_support, batch.y_support, self.steps, self.step_size(),
            mask=self.update_mask(batch.n_tasks), create_graph=not self.first_order,
        )
        return summed_task_loss(self.learner(batch.x_query, weights), batch.y_query, self.task_type) / batch.n_tasks

    def adapt(self, x_support: Tensor, y_support: Tensor, steps: int | None = None,
              alpha: float | None = None) -> Predictor:
        """Fine-tune a detached copy of θ on each support set [T, S, ...]; cheap, no graph kept.

        ``steps`` and ``alpha`` default to the training values; the thesis evaluates after 1..10 steps.
        """
        return self._adapt(x_support, y_support, steps, alpha, mask=None)

    def _adapt(self, x_support: Tensor, y_support: Tensor, steps: int | None, alpha: float | None,
               mask: Callable[[int], Mapping[str, Tensor]] | None) -> Predictor:
        """The adaptation every relative shares; ``mask(n_tasks)`` draws the update masks (None: no mask)."""
        steps = self.steps if steps is None else check_int("steps", steps, 0)
        alpha = self.step_size() if alpha is None else check_positive("alpha", alpha)
        check_support(self.learner, self.task_type, x_support, y_support)
        masks = None if mask is None else mask(x_support.shape[0])
        with torch.enable_grad():  # also works when called under torch.no_grad()
            weights = self.adapted_weights(x_support, y_support, steps, alpha, masks, create_graph=False, detach=True)
        extras = {"weights": weights} if masks is None else {"weights": weights, "mask": masks}
        forward = checked_queries(lambda x: self.learner(x, weights), self.learner, x_support.shape[0])
        return Predictor(forward, self.task_type, extras)


class FOMAML(MAML):
    """First-order MAML: MAML with the inner gradients treated as constants (no Hessian terms).

    The meta-gradient of each task is ∇L_query evaluated at θ'_T; cheaper in time and memory, and the
    Taylor analysis of Nichol et al. (2018) shows it keeps the leading term of MAML's gradient.
    """

    name = "fomaml"

    def __init__(
        self, learner: Learner, task_type: str = "regression", meta_lr: float = 1e-3,
        steps: int = 1, alpha: float = 0.01,
    ) -> None:
        super().__init__(learner, task_type, meta_lr, steps, alpha, first_order=True)
        self.hparams = {"steps": self.steps, "alpha": self.alpha}
