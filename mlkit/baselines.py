"""Two method-free baselines of one-shot character recognition (Lake, Salakhutdinov & Tenenbaum 2015, Table S1 /
Fig. 3): nothing is learned, a query takes the class of the most similar support image.

- **Pixel nearest neighbour**: similarity = minus the Euclidean distance between the raw images.
- **Modified Hausdorff distance** (Dubuisson & Jain 1994), the baseline Lake et al. report at 38.8% error on their
  20-way within-alphabet task: each image is the set of its ink pixels (here pixels ≥ ``threshold`` of the 28×28
  images, as (row, column) points), and for two sets A and B

      d(A, B) = max( 1/|A| Σ_{a∈A} min_{b∈B} ‖a − b‖ ,  1/|B| Σ_{b∈B} min_{a∈A} ‖a − b‖ ).

  Lake et al. applied it to their 105×105 images; ours are the 28×28 images every method here sees.

Both score whole episodes at once: support [T, S, 1, H, W] with labels [T, S], queries [T, Q, 1, H, W]; the score of
a class is the best score over its support images, and ``predict`` returns labels [T, Q].
"""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.checks import check_range


def _best_per_class(similarity: Tensor, y_support: Tensor) -> Tensor:
    """Similarities [T, Q, S] of queries to support images -> class scores [T, Q, N] (the best per class)."""
    n_way = int(y_support.max()) + 1
    onehot = torch.nn.functional.one_hot(y_support, n_way).bool()  # [T, S, N]
    masked = similarity.unsqueeze(-1).masked_fill(~onehot.unsqueeze(1), float("-inf"))  # [T, Q, S, N]
    return masked.amax(2)


def pixel_scores(x_support: Tensor, y_support: Tensor, x_query: Tensor) -> Tensor:
    """Class scores [T, Q, N]: minus the smallest Euclidean pixel distance to a support image of each class."""
    distance = torch.cdist(x_query.flatten(2), x_support.flatten(2))  # [T, Q, S]
    return _best_per_class(-distance, y_support)


def ink_points(images: Tensor, threshold: float = 0.5) -> tuple[Tensor, Tensor]:
    """Images [B, 1, H, W] -> (points [B, P, 2] as (row, column), mask [B, P]) of the pixels >= ``threshold``;
    P is the largest count of a batch, shorter sets are padded (mask False). An empty image keeps one point at its
    centre, so every distance stays finite."""
    check_range("threshold", threshold, 0.0, 1.0)
    ink = images[:, 0] >= threshold  # [B, H, W]
    height, width = ink.shape[1:]
    empty = ~ink.flatten(1).any(1)
    ink[empty, height // 2, width // 2] = True
    counts = ink.flatten(1).sum(1)  # [B]
    p = int(counts.max())
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    grid = torch.stack([rows, cols], -1).flatten(0, 1).float()  # [H*W, 2]
    order = ink.flatten(1).float().argsort(dim=1, descending=True, stable=True)[:, :p]  # ink pixels first
    points = grid[order]  # [B, P, 2]
    mask = torch.arange(p).unsqueeze(0) < counts.unsqueeze(1)  # [B, P]
    return points, mask


def modified_hausdorff(a: tuple[Tensor, Tensor], b: tuple[Tensor, Tensor]) -> Tensor:
    """d(A_i, B_j) for every set A_i of ``a`` [I, P, 2] and B_j of ``b`` [J, R, 2] (with masks) -> [I, J]."""
    (pa, ma), (pb, mb) = a, b
    d = torch.cdist(pa.unsqueeze(1).expand(-1, len(pb), -1, -1).flatten(0, 1),
                    pb.unsqueeze(0).expand(len(pa), -1, -1, -1).flatten(0, 1))  # [I*J, P, R]
    d = d.view(len(pa), len(pb), pa.shape[1], pb.shape[1])  # [I, J, P, R]
    inf = torch.tensor(float("inf"))
    a_to_b = torch.where(mb[None, :, None, :], d, inf).amin(3)  # [I, J, P]: each a's nearest b
    b_to_a = torch.where(ma[:, None, :, None], d, inf).amin(2)  # [I, J, R]: each b's nearest a
    mean_ab = (a_to_b * ma[:, None, :]).sum(2) / ma.sum(1)[:, None]  # [I, J]
    mean_ba = (b_to_a * mb[None, :, :]).sum(2) / mb.sum(1)[None, :]
    return torch.maximum(mean_ab, mean_ba)


def hausdorff_scores(x_support: Tensor, y_support: Tensor, x_query: Tensor, threshold: float = 0.5) -> Tensor:
    """Class scores [T, Q, N]: minus the smallest modified Hausdorff distance to a support image of each class."""
    similarity = []
    for t in range(x_support.shape[0]):  # one episode at a time: [Q, S, P, R] distances fit in memory
        queries, support = ink_points(x_query[t], threshold), ink_points(x_support[t], threshold)
        similarity.append(-modified_hausdorff(queries, support))  # [Q, S]
    return _best_per_class(torch.stack(similarity), y_support)


class MethodFree:
    """A baseline with ``adapt``/``predict`` like a meta-learner's, so ``mlkit.evaluate.evaluate`` scores it.

    Args:
        kind: ``"pixels"`` (pixel nearest neighbour) or ``"hausdorff"`` (modified Hausdorff distance).
    """

    task_type = "classification"
    training = False

    def __init__(self, kind: str) -> None:
        if kind not in ("pixels", "hausdorff"):
            raise ValueError(f"kind must be one of 'pixels', 'hausdorff', got {kind!r}")
        self.kind = kind
        self.name = {"pixels": "pixel-nearest-neighbour", "hausdorff": "modified-hausdorff"}[kind]

    def adapt(self, x_support: Tensor, y_support: Tensor):
        from mlkit.meta.base import Predictor

        score = pixel_scores if self.kind == "pixels" else hausdorff_scores
        return Predictor(lambda x_query: score(x_support, y_support, x_query), self.task_type)

    # what evaluate() expects of a model
    def parameters(self):
        return iter([torch.zeros(0)])

    def eval(self) -> "MethodFree":
        return self

    def train(self, mode: bool = True) -> "MethodFree":
        return self
