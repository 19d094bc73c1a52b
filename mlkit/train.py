"""The one training loop for every meta-learner.

Each step: sample a meta-batch, ``loss = meta.meta_loss(batch)``, backpropagate, step the outer optimiser.
Around that, what a real run needs:
- ``device="auto"``: CUDA when there is a GPU, the CPU otherwise (no device is ever hard-coded);
- a ``tqdm.auto`` progress bar, validation every ``val_every`` steps on a fixed set of validation tasks,
  and a ``History`` of training loss and validation metric for plots;
- atomic checkpoints every ``checkpoint_every`` steps holding weights, optimiser, schedule, sampler and
  random-number states, so a killed run resumes and continues bit for bit as if never interrupted (CPU);
- with validation, a second checkpoint beside it, ``<name>.best.pt``, holding the model of the best validation
  score so far (``best_path``): long runs can overfit their training classes, and the best one is the one to keep;
- a diverging run (non-finite loss or gradient) stops cleanly and is reported as diverged, not a crash;
- several processes with ``torch.distributed`` when launched by ``torchrun``: every rank samples its own
  tasks, gradients are averaged across ranks, rank 0 validates and writes checkpoints.
"""
from __future__ import annotations

import atexit
import contextlib
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from mlkit.checkpoint import check_compatible, load_weights, read_checkpoint, remove_stale_temporaries, save_checkpoint
from mlkit.checkpoint_lock import CheckpointLock
from mlkit.checks import Diverged, check_device, check_int
from mlkit.evaluate import evaluate
from mlkit.meta.adapt_inputs import check_model_fits_tasks
from mlkit.meta.base import MetaLearner
from mlkit.recipes import check_adapt_options
from mlkit.resources import check_training_memory
from mlkit.run_settings import apply_hyperparameters, check_resume, hyperparameters, run_settings
from mlkit.tasks.sampler import Sampler

PROGRESS_SECONDS = 1.0  # the progress bar's shortest interval between redraws


@dataclass
class History:
    """What happened during training, for plots and reports."""

    steps: list[int] = field(default_factory=list)  # step at the end of each logging window
    train_loss: list[float] = field(default_factory=list)  # mean meta-loss over that window
    val_steps: list[int] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)  # validation MSE or accuracy
    diverged_at: int | None = None  # the step whose loss or gradient was not finite
    best_step: int | None = None  # the validation step with the best metric so far (lowest MSE, highest accuracy)
    best_metric: float | None = None
    resumed_from: int | None = None  # the checkpoint's step this call started from (None: a fresh run)

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    def as_dict(self) -> dict[str, Any]:
        """Every field, as plain lists and numbers (what checkpoints store)."""
        return asdict(self)


def best_path(checkpoint: str | Path) -> Path:
    """Where ``train`` keeps the best-by-validation model of the run checkpointed at ``checkpoint``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(f"{checkpoint.stem}.best{checkpoint.suffix or '.pt'}")


def improved(history: History, score: float, task_type: str) -> bool:
    """Whether ``score`` beats the best validation metric so far (MSE: lower; accuracy: higher)."""
    if history.best_metric is None:
        return True
    return score < history.best_metric if task_type == "regression" else score > history.best_metric


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> the local CUDA device when one exists, else the CPU."""
    if str(device) != "auto":
        return check_device("device", device)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def _distributed(device: torch.device) -> tuple[int, int]:
    """(rank, world size); joins the process group when launched with several processes (torchrun)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        restart = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
        if restart == 0:
            dist.init_process_group(backend=backend)
        else:  # torchrun restarted the workers; its store still holds the last group's addresses: use fresh keys
            store, rank, world = next(dist.rendezvous("env://"))
            dist.init_process_group(backend, store=dist.PrefixStore(f"mlkit-restart-{restart}", store), rank=rank,
                                    world_size=world)
        atexit.register(_leave_process_group)  # the group we joined is closed by us, before the interpreter exits
    return dist.get_rank(), dist.get_world_size()


def _leave_process_group() -> None:
    """Close the process group before interpreter shutdown tears down gloo's threads (it can abort otherwise)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def _average_gradients(meta: MetaLearner, world: int) -> None:
    for p in meta.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= world


def _rank_state(sampler: Sampler, device: torch.device) -> dict[str, Any]:
    state = {"sampler": sampler.state_dict(), "torch_rng": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    return state


def _restore_rank_state(state: dict[str, Any], sampler: Sampler, device: torch.device) -> None:
    sampler.load_state_dict(state["sampler"])
    torch.set_rng_state(state["torch_rng"])
    if "cuda_rng" in state and device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda_rng"], device)


def train(
    meta: MetaLearner,
    sampler: Sampler,
    steps: int,
    *,
    val_sampler: Sampler | None = None,
    val_every: int = 1000,
    val_tasks: int = 100,
    checkpoint: str | Path | None = None,
    checkpoint_every: int | None = None,
    resume: bool = True,
    device: str | torch.device = "auto",
    seed: int = 0,
    log_every: int = 10,
    progress: bool = True,
    allow_changed_settings: bool = False,
    val_adapt: dict[str, Any] | None = None,
    **val_kwargs: Any,
) -> History:
    """Meta-train ``meta`` for ``steps`` meta-iterations on tasks from ``sampler``; returns the ``History``.

    With ``checkpoint`` set and ``resume=True``, an existing checkpoint of the same model is loaded and
    training continues from its step (raising if it holds another model). With ``val_sampler`` and ``checkpoint``,
    the model of the best validation score is also written to ``best_path(checkpoint)``. Extra keyword arguments go
    to ``meta.adapt`` during validation, and so do the entries of ``val_adapt`` (for names ``train`` itself takes,
    e.g. ``val_adapt={"steps": 10}``: ten adaptation steps at validation).

    The checkpoint records the run's settings (``mlkit.run_settings``); resuming with other settings is refused
    with the differences listed, unless ``allow_changed_settings`` (then the new ones take effect, or those that
    cannot are refused). While the run writes ``NAME`` it holds the lock file ``NAME.lock``, so a second run
    writing the same checkpoint is refused (``mlkit.checkpoint_lock``).
    """
    check_int("steps", steps, 1)
    check_int("val_every", val_every, 1)
    check_int("val_tasks", val_tasks, 1)
    check_int("log_every", log_every, 1)
    checkpoint_every = check_int("checkpoint_every", val_every if checkpoint_every is None else checkpoint_every, 1)
    check_int("seed", seed, 0)
    check_model_fits_tasks(meta, sampler)
    if val_sampler is not None:
        check_model_fits_tasks(meta, val_sampler)
        val_kwargs = {**(val_adapt or {}), **val_kwargs}  # adapt() options; val_adapt may hold names train uses (steps)
        check_adapt_options(meta, val_kwargs)
    check_training_memory(meta, sampler)
    device = resolve_device(device)
    rank, world = _distributed(device)
    settings = run_settings(steps, seed, sampler)
    meta.to(device).train()
    torch.manual_seed(seed + rank)
    if rank > 0:  # every rank draws different tasks; rank 0 keeps the single-process stream
        sampler = sampler.reseeded(sampler.seed + 7919 * rank)
    optimizer, scheduler = meta.configure_optimizer(steps)
    history, start = History(), 0

    path = Path(checkpoint) if checkpoint else None
    with CheckpointLock(path) if path is not None and rank == 0 else contextlib.nullcontext():
        if path is not None and rank == 0:
            remove_stale_temporaries(path, best_path(path))  # left by writes killed mid-way
        if path is not None and resume and path.exists():
            payload = read_checkpoint(path)
            check_compatible(payload, meta, path)
            changed = check_resume(payload, meta, settings, path, allow_changed_settings)
            if len(payload["ranks"]) != world:
                raise ValueError(f"{path} was written by {len(payload['ranks'])} processes; resume it with that many, "
                                 f"not {world}")
            fresh = hyperparameters(optimizer)
            load_weights(meta, payload["model"], path)
            optimizer.load_state_dict(payload["optimizer"])
            if scheduler is not None:
                scheduler.load_state_dict(payload["scheduler"])
            if changed:  # allowed: this run's learning rate and schedule, not the checkpoint's
                apply_hyperparameters(optimizer, scheduler, fresh)
            history = History(**payload["history"])
            start = history.resumed_from = payload["step"]
            _restore_rank_state(payload["ranks"][rank], sampler, device)

        def save(step: int) -> None:
            states = [_rank_state(sampler, device)]
            if world > 1:
                states = [None] * world
                dist.all_gather_object(states, _rank_state(sampler, torch.device("cpu")))
            if rank == 0:
                save_checkpoint(
                    path, meta, optimizer=optimizer.state_dict(),
                    scheduler=scheduler.state_dict() if scheduler is not None else None,
                    step=step, total_steps=steps, history=history.as_dict(), ranks=states, settings=settings,
                )

        # At most one redraw per PROGRESS_SECONDS, the loss included (refresh=False): in a notebook every redraw is a
        # widget message, and a kernel that sends more than about a thousand while a client waits for the cell to
        # finish (nbval) drops the rest, the cell's end among them.
        bar = tqdm(total=steps, initial=start, disable=not progress or rank != 0, desc=meta.name, leave=False,
                   mininterval=PROGRESS_SECONDS)
        window: list[float] = []
        for step in range(start + 1, steps + 1):
            if history.diverged:
                break
            batch = sampler.sample().to(device)
            loss = meta.meta_loss(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if world > 1:
                _average_gradients(meta, world)
                dist.all_reduce(loss := loss.detach().clone())
                loss /= world
            grads_finite = all(torch.isfinite(p.grad).all() for p in meta.parameters() if p.grad is not None)
            if not math.isfinite(loss.item()) or not grads_finite:
                history.diverged_at = step
                bar.set_postfix_str(f"diverged at step {step}")
                break
            meta.clip_gradients()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            window.append(loss.item())
            if step % log_every == 0 or step == steps:
                history.steps.append(step)
                history.train_loss.append(sum(window) / len(window))
                window = []
                bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}", refresh=False)
            if val_sampler is not None and rank == 0 and (step % val_every == 0 or step == steps):
                # a fresh copy of the validation stream: the same validation tasks every time
                try:
                    score = evaluate(meta, val_sampler.reseeded(), n_tasks=val_tasks, device=device, **val_kwargs)
                except Diverged:  # the model's predictions are no longer finite: the run diverged
                    if world > 1:  # the other ranks cannot know: stop them all
                        raise
                    history.diverged_at = step
                    break
                history.val_steps.append(step)
                history.val_metric.append(score.mean)
                if improved(history, score.mean, meta.task_type):
                    history.best_step, history.best_metric = step, score.mean
                    if path is not None:
                        save_checkpoint(best_path(path), meta, step=step, val_metric=score.mean)
            if path is not None and (step % checkpoint_every == 0 or step == steps):
                save(step)
            bar.update(1)
        bar.close()
        if world > 1:  # the ranks leave together: none tears its connections down while another still uses them
            dist.barrier()
    return history
