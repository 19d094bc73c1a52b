"""A feature embedding learned by plain supervised classification on the meta-train classes (LEO's §2.3.4).

Rusu et al. (2019) §4.1 train a WRN-28-10 to classify the 64 miniImageNet training classes, keep its 640-d
average-pooled activations as every image's features, and meta-learn on those. mlkit does the same at a size a
laptop can train in minutes:

1. ``pretrain``: the 3-block ConvNet of ``mlkit.learners`` (64 filters, 2×2 max-pooling, 28×28 → 3×3) with one
   linear head over *all* meta-train classes (1356 glyph classes by default; Omniglot from a data root), trained
   with softmax cross-entropy. Only the meta-train split is ever seen, as in the paper.
2. The head is dropped. Batch norm gets frozen statistics (measured once on 1024 training images), so an
   image's features do not depend on which other images share its batch.
3. ``extract``: every image of every split → the flattened 64×3×3 = 576-d activation, L2-normalised (as the
   reference code normalises its embeddings). Results are cached on disk under ``~/.cache/mlkit`` (or
   ``$MLKIT_CACHE``), keyed by a SHA-256 of the images and of the extractor's weights: the same data and weights
   are never embedded twice, and changed weights or data can never return stale features.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int, check_positive
from mlkit.learners import ConvNet
from mlkit.tasks.features import FeatureDataset
from mlkit.tasks.images import ImageDataset

FORMAT = "mlkit-features/1"
CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"
BN_EPS = 1e-3  # the ConvNet's batch-norm epsilon


def cache_dir() -> Path:
    """Where extracted features are cached: ``$MLKIT_CACHE`` or ``~/.cache/mlkit``."""
    return Path(os.environ.get("MLKIT_CACHE") or Path.home() / ".cache" / "mlkit")


def content_hash(*parts: Tensor | str) -> str:
    """SHA-256 (hex) of tensors' bytes (with dtype and shape) and strings, in order."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Tensor):
            t = part.detach().cpu().contiguous()
            digest.update(f"{t.dtype}{tuple(t.shape)}".encode())
            digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        else:
            digest.update(str(part).encode())
    return digest.hexdigest()


class FeatureExtractor:
    """The body of a pre-trained ConvNet with frozen batch-norm statistics: images → L2-normalised features.

    Args:
        net: a ``ConvNet`` (its head is ignored).
        mean, var: per-block batch-norm statistics, lists of ``net.blocks`` tensors [hidden].
        info: how it was made (data, epochs, final training accuracy), stored with the weights.
    """

    def __init__(self, net: ConvNet, mean: list[Tensor], var: list[Tensor], info: dict[str, Any] | None = None):
        if len(mean) != net.blocks or len(var) != net.blocks:
            raise ValueError(
                f"mean and var must hold one tensor per block ({net.blocks}), got {len(mean)} and {len(var)}"
            )
        self.net = net.eval().requires_grad_(False)
        self.mean, self.var = list(mean), list(var)
        self.info = dict(info or {})

    @property
    def dim(self) -> int:
        return self.net.features

    def body(self, x: Tensor, stats: bool = False) -> Tensor:
        """Float images [B, C, H, W] → unnormalised features [B, D]. ``stats=True`` first sets the frozen
        batch-norm statistics to those of this batch (calibration)."""
        net, h = self.net, x
        stride = 2 if net.downsample == "stride" else 1
        for i in range(net.blocks):
            h = F.conv2d(h, getattr(net, f"conv{i}"), stride=stride, padding=1)
            h = F.batch_norm(h, self.mean[i], self.var[i], getattr(net, f"gamma{i}"), getattr(net, f"beta{i}"),
                             training=stats, momentum=1.0, eps=BN_EPS)  # momentum 1: buffers := batch statistics
            h = F.relu(h)
            if net.downsample == "maxpool":
                h = F.max_pool2d(h, 2)
        return h.flatten(1) if net.downsample == "maxpool" else h.mean((2, 3))  # [B, D]

    @torch.no_grad()
    def calibrate(self, images: Tensor) -> None:
        """Freeze batch-norm statistics to those of ``images`` (uint8 or float [B, C, H, W])."""
        self.body(_as_float(images), stats=True)

    @torch.no_grad()
    def __call__(self, images: Tensor, chunk: int = 1024) -> Tensor:
        """uint8 or float images [B, C, H, W] → L2-normalised features [B, D], ``chunk`` images at a time."""
        out = [F.normalize(self.body(_as_float(images[i:i + chunk])), dim=1) for i in range(0, len(images), chunk)]
        return torch.cat(out) if out else images.new_zeros(0, self.dim, dtype=torch.float32)

    def fingerprint(self) -> str:
        """Content hash of everything that decides the features: architecture, weights, statistics."""
        body = [p for n, p in self.net.named_parameters() if not n.startswith("fc_")]
        return content_hash(json.dumps(self._body_config(), sort_keys=True), *body, *self.mean, *self.var)

    def _body_config(self) -> dict[str, Any]:
        """The ConvNet's arguments without its head (the number of pre-training classes)."""
        return {k: v for k, v in self.net.config().items() if k not in ("kind", "n_classes")}

    def save(self, path: str | Path) -> Path:
        """Write the body weights (no head, so the file stays small), statistics and info."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        weights = {n: p.detach().clone() for n, p in self.net.named_parameters() if not n.startswith("fc_")}
        payload = {"format": FORMAT, "config": self._body_config(), "weights": weights,
                   "mean": self.mean, "var": self.var, "info": self.info}
        torch.save(payload, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "FeatureExtractor":
        path = Path(path)
        if not path.is_file():
            raise ValueError(
                f"feature extractor not found at {path}; make one with mlkit.features.pretrain "
                f"or `python -m mlkit reproduce leo`"
            )
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ValueError(f"{path} is not an mlkit feature extractor (expected format {FORMAT!r})")
        net = ConvNet(n_classes=1, **payload["config"])
        net.load_state_dict(payload["weights"], strict=False)  # the head is not stored
        return cls(net, payload["mean"], payload["var"], payload["info"])


def _as_float(images: Tensor) -> Tensor:
    return images.float().div(255.0) if images.dtype == torch.uint8 else images.float()


def pretrain(
    dataset: ImageDataset, epochs: int = 8, batch_size: int = 128, lr: float = 1e-3, hidden: int = 64,
    blocks: int = 3, seed: int = 0, log: Any = None,
) -> FeatureExtractor:
    """Train a ConvNet to classify all ``dataset.n_classes`` classes of a meta-train split; return its body.

    Args:
        dataset: the meta-train split (uint8 images [classes, per_class, C, H, W]).
        epochs, batch_size, lr: Adam training schedule.
        hidden, blocks: ConvNet width and depth (2×2 max-pooling after every block).
        seed: weight initialisation and batch order.
        log: optional ``print``-like callable, called once per epoch.
    """
    if dataset.split != "train":
        raise ValueError(
            f"dataset must be the meta-train split (pre-training never sees other classes), got {dataset.split!r}"
        )
    epochs, batch_size = check_int("epochs", epochs, 1), check_int("batch_size", batch_size, 2)
    lr = check_positive("lr", lr)
    channels, size, _ = dataset.image_shape
    torch.manual_seed(seed)
    net = ConvNet(channels, dataset.n_classes, hidden=hidden, image_size=size, downsample="maxpool", blocks=blocks)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    images = dataset.images.flatten(0, 1)  # [classes * per_class, C, H, W]
    labels = torch.arange(dataset.n_classes).repeat_interleave(dataset.per_class)  # [classes * per_class]
    order = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(epochs):
        total, correct, seen = 0.0, 0, 0
        for idx in torch.randperm(len(images), generator=order).split(batch_size):
            if len(idx) < 2:  # batch norm needs two images
                continue
            logits = net(_as_float(images[idx]).unsqueeze(0))[0]  # [B, classes]
            loss = F.cross_entropy(logits, labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            correct += int((logits.argmax(1) == labels[idx]).sum())
            seen += len(idx)
        history.append({"epoch": epoch + 1, "loss": total / seen, "accuracy": correct / seen})
        if log is not None:
            log(f"pre-training epoch {epoch + 1}/{epochs}: loss {total / seen:.3f}, accuracy {correct / seen:.3f}")
    extractor = FeatureExtractor(
        net, [torch.zeros(hidden) for _ in range(blocks)], [torch.ones(hidden) for _ in range(blocks)],
        {"data": dataset.name, "classes": dataset.n_classes, "per_class": dataset.per_class, "epochs": epochs,
         "batch_size": batch_size, "lr": lr, "seed": seed, "history": history},
    )
    sample = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:1024]
    extractor.calibrate(images[sample])
    return extractor


def extract(extractor: FeatureExtractor, dataset: ImageDataset, cache: bool = True) -> FeatureDataset:
    """Features of every image of ``dataset`` as a ``FeatureDataset`` [classes, per_class, D], cached on disk."""
    key = content_hash(dataset.images, extractor.fingerprint())
    path = cache_dir() / f"features-{key[:32]}.pt"
    if cache and path.is_file():
        stored = torch.load(path, map_location="cpu", weights_only=True)
        return FeatureDataset(stored["features"], stored["class_names"], dataset.split, stored["name"])
    c, p = dataset.n_classes, dataset.per_class
    features = extractor(dataset.images.flatten(0, 1)).view(c, p, extractor.dim)  # [classes, per_class, D]
    name = f"{dataset.name}-features"
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save({"features": features, "class_names": dataset.class_names, "name": name}, tmp)
        os.replace(tmp, path)  # atomic: two notebooks extracting at once never read half a file
    return FeatureDataset(features, dataset.class_names, dataset.split, name)


def default_extractor_path(source: str = "glyphs") -> Path:
    """The shipped extractor of a data source: ``mlkit/checkpoints/features-<source>.pt``."""
    return CHECKPOINTS / f"features-{source}.pt"


def load_features(
    splits: tuple[str, ...] = ("train", "val", "test"), source: str = "glyphs", data_root: str | None = None,
    extractor: FeatureExtractor | str | Path | None = None, data_seed: int = 0,
) -> dict[str, FeatureDataset]:
    """Feature datasets of the given splits of ``source`` (``"glyphs"``, or ``"omniglot"`` with ``data_root``).

    ``extractor`` defaults to the shipped ``features-<source>.pt``.
    """
    from mlkit.tasks.registry import make_dataset

    if not isinstance(extractor, FeatureExtractor):
        extractor = FeatureExtractor.load(extractor or default_extractor_path(source))
    return {s: extract(extractor, make_dataset(source, split=s, data_root=data_root, seed=data_seed)) for s in splits}
