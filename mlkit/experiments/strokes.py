"""Does a model see a drawing rendered from its pen strokes as it sees the published image? And paired scores.

Omniglot's images are renderings of pen strokes (Lake, Salakhutdinov & Tenenbaum 2015, Science, "Human-level
concept learning through probabilistic program induction"). ``render_strokes`` re-draws them; if it draws them as
the published PNGs were drawn, a model trained on the PNGs must score the same on the re-drawn test drawings. This
module scores the shipped 20-way Prototypical Network on the same 20-way one-shot episodes of the held-out alphabets
(Latin and Balinese, every episode inside one alphabet) twice, once on the PNGs and once on the drawings rendered
from their strokes, and reports both accuracies and their difference paired by episode (mean and 1.96 sigma / sqrt(n)).

Commands (one thread is enough)::

    python -m mlkit.experiments.strokes rendered --episodes 600
    python -m mlkit.experiments.strokes paired RUN_A.pt RUN_B.pt --episodes 600

``paired`` scores two checkpoints on the same test episodes (e.g. ``--augment affine`` against ``--augment
strokes``) and reports their paired difference.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Sequence

import torch

from mlkit.evaluate import Score, confidence_interval, evaluate
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tasks.images import ImageDataset
from mlkit.tasks.omniglot import Omniglot
from mlkit.tasks.render import PEN_WIDTH, render_strokes

SHIPPED_20WAY = Path(__file__).resolve().parents[1] / "checkpoints" / "omniglot-20way.pt"
TEST_SEED = 0  # the test episodes' seed, as ``python -m mlkit eval`` draws them by default


def rendered_dataset(dataset: Omniglot, pen_width: float = PEN_WIDTH) -> ImageDataset:
    """A copy of an Omniglot split whose images are drawn from their strokes by ``render_strokes`` (uint8, same
    classes, same order, same shape [classes, per_class, 1, S, S])."""
    size = dataset.image_shape[-1]
    images = torch.stack([
        torch.stack([render_strokes(d, size, pen_width, f"{dataset.class_names[c]} #{i}")
                     for i, d in enumerate(dataset.strokes(c))]) for c in range(dataset.n_classes)
    ])  # [classes, per_class, 1, S, S] in [0, 1], exact multiples of 1/255
    pixels = images.mul(255).round_().to(torch.uint8)
    return ImageDataset(pixels, dataset.class_names, dataset.split, f"{dataset.name} rendered from strokes")


def paired(a: Score, b: Score) -> Score:
    """The per-episode difference ``a - b`` of two scores on the same episodes: mean and 95% interval."""
    if a.n != b.n:
        raise ValueError(f"paired scores need the same episodes, got {a.n} and {b.n}")
    return confidence_interval(a.values - b.values, a.metric)


def episodes(dataset: ImageDataset, n_way: int = 20, seed: int = TEST_SEED) -> EpisodeSampler:
    """N-way one-shot test episodes inside one alphabet, 5 queries per class (the README's evaluation)."""
    return EpisodeSampler(dataset, n_way, 1, 5, 100, seed=seed, within_alphabet=True)


def compare_rendered(n_episodes: int = 600, checkpoint: str | Path = SHIPPED_20WAY, n_way: int = 20,
                     seed: int = TEST_SEED) -> dict[str, Any]:
    """The model's accuracy on the PNGs and on the drawings rendered from their strokes, on the same episodes."""
    from mlkit.checkpoint import load_meta_learner

    model = load_meta_learner(checkpoint)
    test = Omniglot(split="test")
    png = evaluate(model, episodes(test, n_way, seed), n_episodes)
    drawn = evaluate(model, episodes(rendered_dataset(test), n_way, seed), n_episodes)
    return {"png": png, "rendered": drawn, "difference": paired(drawn, png)}


def compare_checkpoints(a: str | Path, b: str | Path, n_episodes: int = 600, n_way: int = 20,
                        seed: int = TEST_SEED) -> dict[str, Any]:
    """Two checkpoints scored on the same test episodes (PNGs) and their paired difference ``a - b``."""
    from mlkit.checkpoint import load_meta_learner

    test = Omniglot(split="test")
    scores = {str(path): evaluate(load_meta_learner(path), episodes(test, n_way, seed), n_episodes)
              for path in (a, b)}
    first, second = scores.values()
    return {**scores, "difference": paired(first, second)}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mlkit.experiments.strokes {rendered,paired} ...`` (prints JSON-ready lines)."""
    top = argparse.ArgumentParser(prog="python -m mlkit.experiments.strokes")
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("rendered", help="the shipped 20-way model on PNGs and on drawings rendered from strokes")
    p.add_argument("--episodes", type=int, default=600)
    p = sub.add_parser("paired", help="two checkpoints on the same test episodes")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--episodes", type=int, default=600)
    args = top.parse_args(argv)
    torch.set_num_threads(1)
    if args.command == "rendered":
        result = compare_rendered(args.episodes)
    else:
        result = compare_checkpoints(args.a, args.b, args.episodes)
    for name, score in result.items():
        print(f"{name}: {score}  {json.dumps(score.as_dict())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
