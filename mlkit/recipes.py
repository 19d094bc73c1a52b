"""Pair a meta-learner with the learner its tasks need, so users name a method and a task family only.

Regression tasks get the 1-40-40-1 MLP; episodes over pre-computed features a linear layer; image episodes get
the 4-block ConvNet sized to the images
(64 stride-2 filters for 28×28 and smaller, 32 filters with max-pooling for larger, as in the papers).
``method_options`` lists what a method's constructor takes (the command line's ``--option`` keys), read from its
signature and its docstring, so the list can never drift from the code.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

import torch

from mlkit.checks import check_int
from mlkit.learners import MLP, ConvNet, Learner
from mlkit.meta import METHODS, MetaLearner
from mlkit.tasks.sampler import EpisodeSource, Sampler

NOT_OPTIONS = ("self", "learner", "task_type")  # set by build() from the tasks, not by the user


@dataclass
class Option:
    """One constructor argument of a method: its name, default and the docstring's description of it."""

    name: str
    default: Any
    help: str


def _documented(cls: type) -> dict[str, str]:
    """``{argument: description}`` from the "Args:" sections of ``cls`` and its bases (the class's own first)."""
    found: dict[str, str] = {}
    for klass in cls.__mro__:
        doc = inspect.getdoc(klass) or ""
        section = doc.split("Args:", 1)[1] if "Args:" in doc else ""
        current = None
        for line in section.splitlines():
            if line and not line.startswith(" "):  # the section ended (e.g. "Example:")
                break
            match = re.match(r"\s{4}([\w, ]+):\s*(.*)", line)
            if match and not line.startswith(" " * 8):
                current = [n.strip() for n in match.group(1).split(",")]
                for name in current:
                    found.setdefault(name, match.group(2).strip())
            elif current and line.strip():
                for name in current:
                    if found.get(name) is not None and not found[name].endswith(line.strip()):
                        found[name] = f"{found[name]} {line.strip()}"
    return found


def method_options(method: str) -> list[Option]:
    """The options of ``method`` (a name in ``METHODS``): every constructor argument but the learner and task type."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, got {method!r}")
    cls = METHODS[method]
    docs = _documented(cls)
    params = inspect.signature(cls.__init__).parameters.values()
    return [Option(p.name, p.default, docs.get(p.name, "")) for p in params
            if p.name not in NOT_OPTIONS and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def check_options(method: str, hparams: dict[str, Any]) -> None:
    """Refuse an option ``method`` does not take, naming the ones it does."""
    known = [o.name for o in method_options(method)]
    unknown = sorted(set(hparams) - set(known))
    if unknown:
        raise ValueError(f"option {unknown[0]!r} is not an option of {method}; its options are {', '.join(known)} "
                         f"(python -m mlkit options {method})")


def adapt_options(meta: MetaLearner) -> list[str]:
    """The keyword arguments ``meta.adapt`` takes besides the support set (``evaluate``'s and ``eval``'s options)."""
    params = list(inspect.signature(meta.adapt).parameters.values())[2:]  # after x_support, y_support
    return [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def check_adapt_options(meta: MetaLearner, options: dict[str, Any]) -> None:
    """Refuse an option ``meta.adapt`` does not take, naming the ones it does."""
    known = adapt_options(meta)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"option {unknown[0]!r} is not an option of {meta.name}'s adapt; its options are "
                         f"{', '.join(known) or 'none'}")


def episodes(sampler: Sampler) -> EpisodeSource:
    """``sampler`` itself, checked to be a classification sampler (an ``EpisodeSource``: ``n_way``, ``dataset``)."""
    if not isinstance(sampler, EpisodeSource):
        raise ValueError(f"sampler must give N-way episodes (n_way and dataset, as EpisodeSampler) for classification, "
                         f"got {type(sampler).__name__}")
    return sampler


def learner_for(sampler: Sampler, n_outputs: int | None = None, transform: bool = False) -> Learner:
    """The papers' learner for a sampler's tasks; ``n_outputs`` defaults to the episode's N (``sampler.n_way``)."""
    if sampler.task_type == "regression":
        return MLP((1, 40, 40, 1), transform=transform)
    n_classes = n_outputs or episodes(sampler).n_way
    if len(sampler.input_shape) == 1:  # pre-computed features (mlkit.tasks.features): a linear classifier
        return MLP((sampler.input_shape[0], n_classes), transform=transform)
    channels, size, _ = sampler.input_shape
    small = size <= 32
    return ConvNet(
        in_channels=channels, n_classes=n_classes, hidden=64 if small else 32, image_size=size,
        downsample="stride" if small else "maxpool", transform=transform,
    )


def build(method: str, sampler: Sampler, seed: int | None = None, **hparams: Any) -> MetaLearner:
    """A fresh meta-learner ``method`` for the tasks of ``sampler``; ``hparams`` go to its constructor.

    ``seed``: seeds torch's global generator before the model is made, so the same seed gives bit-identical
    initial weights (None: the generator is left as it is).

    Classification samplers (``EpisodeSampler``) also give the episode's N (``n_way``) and, for the joint
    baselines, the classes of their split (``dataset.n_classes``).
    """
    check_options(method, hparams)
    if seed is not None:
        torch.manual_seed(check_int("seed", seed, 0))
    cls = METHODS[method]
    joint = getattr(cls, "joint_classifier", False)  # baselines that first classify all training classes
    n_outputs = episodes(sampler).dataset.n_classes if joint and sampler.task_type == "classification" else None
    transform = bool(getattr(cls, "uses_transform", False))
    return cls(learner_for(sampler, n_outputs, transform), task_type=sampler.task_type, **hparams)
