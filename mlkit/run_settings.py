"""The settings a training run was started with, stored in its checkpoint so that resuming can compare.

A checkpoint holds the model's configuration (``meta.config()``: method, learner, meta_lr and every option) and,
under ``"settings"``, the run's: total steps and seed (``train``) and the task sampler's configuration (family,
N, K, queries, meta-batch, seed...). Resuming with different settings would silently mix two runs, so it is
refused with every difference listed, unless explicitly allowed; then each new setting must really take effect
(the optimiser's learning rate is set anew, the schedule recomputed), and a change that cannot is still refused:
the seeds (the random streams continue from the checkpoint) and options that only set the initial value of
learned parameters (the checkpoint's learned values replace them).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from mlkit.meta.base import MetaLearner

SAMPLER_FIELDS = ("task_type", "variant", "order", "n_way", "k_shot", "q_query", "meta_batch", "seed",
                  "within_alphabet")
ALLOW = "allow_changed_settings=True, or --allow-changed-settings on the command line"
ABSENT = "(none)"


def sampler_settings(sampler: Any) -> dict[str, Any]:
    """The configuration of a task sampler: its family and sizes, dataset and split, seed, augmentation."""
    out = {name: getattr(sampler, name) for name in SAMPLER_FIELDS if hasattr(sampler, name)}
    dataset = getattr(sampler, "dataset", None)
    if dataset is not None:
        out["dataset"] = f"{getattr(dataset, 'name', '?')} {getattr(dataset, 'split', '?')}"
        out["classes"] = getattr(dataset, "n_classes", None)
    if getattr(sampler, "augment", None) is not None:
        out["augment"] = type(sampler.augment).__name__
    return out


def run_settings(steps: int, seed: int, sampler: Any) -> dict[str, Any]:
    """What ``train`` stores under ``"settings"`` in its checkpoints."""
    return {"train": {"steps": steps, "seed": seed}, "tasks": sampler_settings(sampler)}


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def differences(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{"model.alpha": (0.01, 0.5), ...}``: every setting that differs, by dotted name. Sections the old
    checkpoint does not have (one written before settings were stored) are not compared."""
    old_flat, new_flat = _flat(old), _flat({k: v for k, v in new.items() if k in old})
    keys = sorted(set(old_flat) | set(new_flat))
    return {k: (old_flat.get(k, ABSENT), new_flat.get(k, ABSENT)) for k in keys
            if old_flat.get(k, ABSENT) != new_flat.get(k, ABSENT)}


def _init_only(meta: MetaLearner, old_config: dict[str, Any], names: list[str]) -> list[str]:
    """The options among ``names`` that only set initial values of learned parameters: built once with the old
    value and once with the new (same seed), the model's parameters differ -- so the checkpoint's overrule them."""
    found = []
    for name in names:
        models: list[dict[str, Any] | None] = []
        for config in (old_config, {**old_config, name: meta.config()[name]}):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                try:
                    models.append(type(meta).from_config(config).state_dict())
                except (TypeError, ValueError):
                    models.append(None)
        a, b = models
        if a is None or b is None or a.keys() != b.keys() or any(
                a[k].shape != b[k].shape or not torch.equal(a[k], b[k]) for k in a):
            found.append(name)
    return found


def check_resume(payload: dict[str, Any], meta: MetaLearner, settings: dict[str, Any], path: str | Path,
                 allow_changed: bool) -> dict[str, tuple[Any, Any]]:
    """Compare a checkpoint with the run about to resume it; returns the differences (empty: the same run).

    Raises ``ValueError`` listing them unless ``allow_changed``; even then, raises for those that cannot take
    effect. The model and learner kind must already match (``check_compatible``).
    """
    missing = [k for k in ("optimizer", "step", "history", "ranks") if k not in payload]
    if missing:
        raise ValueError(f"{path} is not a training checkpoint (it lacks {', '.join(missing)}): it can be evaluated "
                         f"or loaded, not resumed; train into another checkpoint path")
    old = {"model": payload["config"], **payload.get("settings", {})}
    diff = differences(old, {"model": meta.config(), **settings})
    if not diff:
        return diff
    listing = "; ".join(f"{k} {a!r} -> {b!r}" for k, a, b in ((k, *v) for k, v in diff.items()))
    if not allow_changed:
        raise ValueError(f"{path} was written with other settings than this run's: {listing}. Resume with the same "
                         f"settings, train into another checkpoint, or allow the change ({ALLOW})")
    options = [k.split(".", 1)[1] for k in diff if k.startswith("model.") and k.count(".") == 1]
    fixed = [f"{k} (the random streams continue from the checkpoint)" for k in ("train.seed", "tasks.seed")
             if k in diff]
    fixed += [f"model.{name} (it only sets the initial value of learned parameters, which the checkpoint holds)"
              for name in _init_only(meta, payload["config"], options)]
    if fixed:
        raise ValueError(f"{path}: these changed settings cannot take effect when resuming: {'; '.join(fixed)}. "
                         f"Start a new run (another checkpoint path) to use them")
    return diff


def hyperparameters(optimizer: torch.optim.Optimizer) -> list[dict[str, Any]]:
    """The optimiser's settings per parameter group (learning rate, betas...), without the parameters."""
    return [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]


def apply_hyperparameters(optimizer: torch.optim.Optimizer, scheduler: Any, fresh: list[dict[str, Any]]) -> None:
    """After loading a checkpoint's optimiser (and schedule) state, put back this run's settings ``fresh``
    (from ``hyperparameters`` before loading): the new learning rate applies, and a ``LambdaLR`` schedule
    continues from the loaded step with the new base rate and the new total."""
    for group, settings in zip(optimizer.param_groups, fresh):
        group.update(settings)
    if scheduler is None:
        return
    if not isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR):
        raise ValueError(f"changed settings cannot be applied to a resumed {type(scheduler).__name__} schedule; "
                         f"start a new run")
    scheduler.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
    for group, base, factor in zip(optimizer.param_groups, scheduler.base_lrs, scheduler.lr_lambdas):
        group["lr"] = base * factor(scheduler.last_epoch)
    scheduler._last_lr = [group["lr"] for group in optimizer.param_groups]
