"""The fully connected learner of the sine and polynomial experiments: 1-40-40-1 with ReLU.

Finn et al. (2017) §5.1 and Lee (2018) §6.1: two hidden layers of 40 units, weights from a normal
distribution truncated at two standard deviations with std 0.01, zero biases (cbfinn/maml, yoonholee/MT-net).
Weights are stored input-major, ``w{i}: [in, out]``, so a layer is ``x @ W + b`` as in those papers' code.

With ``transform=True`` every layer is followed by a T-net matrix ``t{i}: [out, out]`` initialised to the
identity (Lee 2018, eq. 4.1): h = relu((x W + b) T). T is meta-learned only, never adapted.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_int, check_positive
from mlkit.learners.base import Learner, TaskWeights, truncated_normal_


class MLP(Learner):
    """Fully connected ReLU network evaluated for T tasks at once.

    Args:
        sizes: layer widths from input to output, e.g. (1, 40, 40, 1).
        init_std: std of the truncated-normal weight initialisation.
        transform: add identity-initialised T matrices after each layer (T-nets).
    """

    def __init__(self, sizes: Sequence[int] = (1, 40, 40, 1), init_std: float = 0.01, transform: bool = False):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output width, got {list(sizes)}")
        self.sizes = [check_int("sizes[i]", s, 1) for s in sizes]
        self.init_std = check_positive("init_std", init_std)
        self.transform = bool(transform)
        self.n_layers = len(sizes) - 1
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.register_parameter(f"w{i}", nn.Parameter(truncated_normal_(torch.empty(n_in, n_out), init_std)))
            self.register_parameter(f"b{i}", nn.Parameter(torch.zeros(n_out)))
            if transform:
                self.register_parameter(f"t{i}", nn.Parameter(torch.eye(n_out)))
        self.adaptable = tuple(n for i in range(self.n_layers) for n in (f"w{i}", f"b{i}"))
        self.unit_axis = {n: (1 if n.startswith("w") else 0) for n in self.adaptable}  # output units
        last = self.n_layers - 1
        self.head = (f"w{last}", f"b{last}")

    def forward(self, x: Tensor, weights: TaskWeights | None = None) -> Tensor:
        """x [T, B, in] -> outputs [T, B, out], with task weights {name: [T, *shape]} (default θ)."""
        p = self.task_weights(x.shape[0]) if weights is None else weights
        h = x
        for i in range(self.n_layers):
            h = torch.baddbmm(p[f"b{i}"].unsqueeze(1), h, p[f"w{i}"])  # [T, B, out]
            if self.transform:
                h = torch.bmm(h, p[f"t{i}"])
            if i < self.n_layers - 1:
                h = F.relu(h)
        return h

    def config(self) -> dict[str, Any]:
        return {"kind": "mlp", "sizes": self.sizes, "init_std": self.init_std, "transform": self.transform}
