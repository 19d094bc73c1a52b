"""Command line: ``python -m mlkit {train,eval,options,bench,reproduce} ...`` (``--help`` on each).

Every option maps onto an argument of the Python API (``make_tasks``, ``build``, ``train``, ``evaluate``), so what the
command line can do the API can do, and the reverse for everything a run needs.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from typing import Any, Sequence

from mlkit.checks import Diverged
from mlkit.tasks.registry import IMAGE_FAMILIES, TASK_FAMILIES


def _options(pairs: Sequence[str]) -> dict[str, Any]:
    """``["steps=5", "alpha=0.01"]`` -> {"steps": 5, "alpha": 0.01} (values read as Python literals)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--option must look like KEY=VALUE, got {pair!r}")
        if key in out:
            raise ValueError(f"--option {key} is given twice ({key}={out[key]!r} and {pair!r}); give it once")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            try:
                out[key] = float(value)  # "nan", "inf": still numbers, so the method's own check names them
            except ValueError:
                out[key] = value
    return out


def _task_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tasks", default="sine", choices=TASK_FAMILIES, help="task family (default: sine)")
    p.add_argument("--k-shot", type=int, default=10, help="support examples per task (per class for images)")
    p.add_argument("--q-query", type=int, default=None,
                   help="query examples per task (per class for images; default 10 for regression, 15 for images)")
    p.add_argument("--n-way", type=int, default=5, help="classes per episode (image tasks)")
    p.add_argument("--order", type=int, default=1, help="polynomial order, 0-2 (--tasks polynomial)")
    p.add_argument("--data-root", default=None,
                   help="folder with the dataset's files (miniimagenet; omniglot defaults to the shipped subsets)")
    p.add_argument("--split-by", default="alphabet", choices=("alphabet", "character"),
                   help="omniglot: hold out whole alphabets (default, the hard benchmark) or characters (easy)")
    p.add_argument("--within-alphabet", action="store_true",
                   help="image tasks: draw each episode's classes from one alphabet (Lake et al.'s one-shot task)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the task stream, the network's initial weights and the training loop (default 0)")


def _check_task_arguments(args: argparse.Namespace) -> None:
    if args.tasks not in IMAGE_FAMILIES and args.within_alphabet:
        raise ValueError(f"--within-alphabet applies to image tasks ({', '.join(IMAGE_FAMILIES)}), not {args.tasks}")
    if getattr(args, "augment", "none") != "none" and args.tasks not in IMAGE_FAMILIES:
        raise ValueError(f"--augment applies to image tasks ({', '.join(IMAGE_FAMILIES)}), not {args.tasks}")
    if getattr(args, "augment", "none") == "strokes" and args.tasks != "omniglot":
        raise ValueError(f"--augment strokes needs pen strokes, which only omniglot has, not {args.tasks} "
                         f"(use --augment affine)")


def _sampler(args: argparse.Namespace, split: str, meta_batch: int, seed: int, n_way: int | None = None):
    from mlkit.tasks import make_tasks

    options: dict[str, Any] = {}
    if args.tasks == "omniglot":
        options = {"split_by": args.split_by, "rotations": bool(getattr(args, "rotations", False))}
    augment: Any = None
    if split == "train" and getattr(args, "augment", "none") == "affine":
        from mlkit.tasks.augment import AffineDistortion

        augment = AffineDistortion()
    elif split == "train" and getattr(args, "augment", "none") == "strokes":
        from mlkit.tasks.stroke_augment import StrokeDistortion

        augment = StrokeDistortion()
    return make_tasks(
        args.tasks, split=split, k_shot=args.k_shot, q_query=args.q_query, n_way=n_way or args.n_way,
        meta_batch=meta_batch, seed=seed, order=args.order, data_root=args.data_root,
        within_alphabet=args.within_alphabet, augment=augment, **options,
    )


def validation_n_way(args: argparse.Namespace) -> int | None:
    """The validation episodes' N: ``--val-n-way``, else the training N capped at what the validation split allows
    (its classes, or the classes of its largest alphabet with ``--within-alphabet``). None for regression."""
    if args.tasks not in IMAGE_FAMILIES:
        return None
    from mlkit.tasks import make_dataset

    options = {"split_by": args.split_by} if args.tasks == "omniglot" else {}
    val = make_dataset(args.tasks, split="val", data_root=args.data_root, **options)
    groups = val.alphabets if args.within_alphabet else ["all"] * val.n_classes
    allowed = max(groups.count(g) for g in set(groups))
    where = "classes of one alphabet" if args.within_alphabet else "classes"
    if args.val_n_way is not None:
        if not 2 <= args.val_n_way <= allowed:
            raise ValueError(f"--val-n-way must be in 2..{allowed} (the {where} of the validation split), "
                             f"got {args.val_n_way}")
        return args.val_n_way
    return min(args.n_way, allowed)


def _cmd_train(args: argparse.Namespace) -> int:
    from mlkit.recipes import build
    from mlkit.train import best_path, train

    _check_task_arguments(args)
    options = _options(args.option)
    if "meta_lr" in options:
        raise ValueError("meta_lr is set by --meta-lr; do not also give --option meta_lr=...")
    val_n_way = validation_n_way(args)
    sampler = _sampler(args, "train", args.meta_batch, args.seed)
    meta = build(args.method, sampler, seed=args.seed, meta_lr=args.meta_lr, **options)
    val = _sampler(args, "val", 25, args.seed + 10_000, n_way=val_n_way)
    history = train(
        meta, sampler, args.steps, val_sampler=val, val_every=args.val_every, val_tasks=args.val_tasks,
        checkpoint=args.checkpoint, device=args.device, seed=args.seed,
        allow_changed_settings=args.allow_changed_settings,
    )
    if int(os.environ.get("RANK", "0")) > 0:  # under torchrun, rank 0 reports for all
        return 3 if history.diverged else 0
    if history.diverged:
        raise Diverged(_diverged(history.diverged_at, args.checkpoint))
    if history.resumed_from == args.steps:
        print(f"nothing to train: {args.checkpoint} already holds the finished run of {args.steps} steps (resumed "
              f"a finished run; to train longer, raise --steps and add --allow-changed-settings)")
        return 0
    val_text = ""
    if history.val_metric:
        val_text = (f", validation {history.val_metric[-1]:.4f} ({val_n_way or ''}{'-way ' if val_n_way else ''}"
                    f"episodes); best {history.best_metric:.4f} at step {history.best_step} in "
                    f"{best_path(args.checkpoint)}")
    resumed = f" (resumed from step {history.resumed_from})" if history.resumed_from else ""
    print(f"trained {meta.name} for {args.steps} steps{resumed}: loss {history.train_loss[-1]:.4f}{val_text}; "
          f"checkpoint {args.checkpoint}")
    return 0


def _diverged(step: int | None, checkpoint: str) -> str:
    """What a diverged run left: its last good checkpoint, or none."""
    from pathlib import Path

    from mlkit.checkpoint import read_checkpoint

    kept = (f"the last good checkpoint (step {read_checkpoint(checkpoint)['step']}) is kept at {checkpoint}"
            if Path(checkpoint).is_file() else "no checkpoint was written")
    return (f"training diverged at step {step}: the meta-loss, a gradient or the validation predictions were not "
            f"finite (try a smaller step size or --meta-lr); {kept}")


def _cmd_eval(args: argparse.Namespace) -> int:
    from mlkit.checkpoint import load_meta_learner
    from mlkit.evaluate import evaluate

    _check_task_arguments(args)
    meta = load_meta_learner(args.checkpoint)
    sampler = _sampler(args, "test", 100, args.seed)
    score = evaluate(meta, sampler, n_tasks=args.n_tasks, **_options(args.option))
    print(json.dumps(score.as_dict()) if args.json else f"{meta.name} on {args.n_tasks} {args.tasks} test tasks: {score}")
    return 0


def _cmd_options(args: argparse.Namespace) -> int:
    from mlkit.recipes import method_options

    print(f"--option keys of {args.method} (KEY=VALUE; defaults in brackets):")
    for option in method_options(args.method):
        note = "  (also --meta-lr)" if option.name == "meta_lr" else ""
        print(f"  {option.name} [{option.default!r}]: {option.help}{note}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from mlkit.bench import run_benchmark

    run_benchmark(args.name, as_json=args.json)
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from mlkit.experiments import run_experiment

    options = {k: v for k, v in (("jobs", args.jobs), ("device", args.device)) if v is not None}
    run_experiment(args.name, quick=args.quick, as_json=args.json, out_dir=args.out_dir, **options)
    return 0


def parser() -> argparse.ArgumentParser:
    from mlkit.bench import benchmarks
    from mlkit.experiments import experiments
    from mlkit.meta import METHODS

    top = argparse.ArgumentParser(prog="python -m mlkit", description="mlkit: learn meta-learning by doing it.")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="meta-train a method on a task family, with checkpoints and resume")
    p.add_argument("--method", default="finetune", choices=sorted(METHODS),
                   help="the meta-learner (default: finetune); its --option keys: python -m mlkit options METHOD")
    _task_arguments(p)
    p.add_argument("--rotations", action="store_true",
                   help="omniglot: add every training character turned by 90, 180 and 270 degrees as new classes")
    p.add_argument("--augment", default="none", choices=("none", "affine", "strokes"),
                   help="image tasks: distort every training image with a random affine map (affine, Koch et al. "
                        "2015); omniglot: draw every training image afresh from randomly perturbed pen strokes "
                        "(strokes)")
    p.add_argument("--steps", type=int, default=1000, help="meta-iterations (default 1000)")
    p.add_argument("--meta-batch", type=int, default=4, help="tasks per meta-iteration (default 4)")
    p.add_argument("--meta-lr", type=float, default=1e-3, help="outer (Adam) learning rate (default 1e-3)")
    p.add_argument("--val-every", type=int, default=500, help="validate every this many steps (default 500)")
    p.add_argument("--val-tasks", type=int, default=100, help="validation tasks per validation (default 100)")
    p.add_argument("--val-n-way", type=int, default=None,
                   help="classes per validation episode (default: --n-way, capped at what the validation split has)")
    p.add_argument("--checkpoint", default="runs/model.pt",
                   help="written atomically; an existing one is resumed; the best-by-validation model goes to "
                        "NAME.best.pt beside it (default runs/model.pt)")
    p.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda, cuda:1 ...")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a method argument, repeatable (list them: python -m mlkit options METHOD)")
    p.add_argument("--allow-changed-settings", action="store_true",
                   help="resume a checkpoint with other settings than it was written with (they take effect; "
                        "without it such a resume is refused with the differences listed)")
    p.set_defaults(run=_cmd_train)

    p = sub.add_parser("eval", help="evaluate a checkpoint on held-out tasks: mean and 95%% interval")
    p.add_argument("checkpoint", help="a checkpoint written by train (or shipped in mlkit/checkpoints)")
    _task_arguments(p)
    p.add_argument("--n-tasks", type=int, default=600, help="test tasks (default 600, as the papers)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="an adapt() argument, repeatable (e.g. steps=10)")
    p.add_argument("--json", action="store_true", help="print the score as JSON")
    p.set_defaults(run=_cmd_eval)

    p = sub.add_parser("options", help="the --option keys of a method, with their defaults and meaning")
    p.add_argument("method", choices=sorted(METHODS), help="a method name")
    p.set_defaults(run=_cmd_options)

    p = sub.add_parser("bench", help="speed benchmarks, as ratios against a reference measured in the same run")
    p.add_argument("name", choices=sorted(benchmarks()), help="which benchmark")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=_cmd_bench)

    p = sub.add_parser("reproduce", help="reproduce a published table or figure beside the paper's numbers")
    p.add_argument("name", choices=sorted(experiments()) or None, help="which table or figure")
    p.add_argument("--quick", action="store_true", help="a short run to check the pipeline (minutes)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--out-dir", default="results", help="where runs and tables are written (default results/)")
    p.add_argument("--jobs", type=int, default=None, help="trainings run in parallel processes (regression tables)")
    p.add_argument("--device", default=None, help="where networks train: auto, cpu, cuda (image experiments)")
    p.set_defaults(run=_cmd_reproduce)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except Diverged as error:  # a non-finite result: said so, never a NaN score
        print(f"error: {error}", file=sys.stderr)
        return 3
    except ValueError as error:  # bad input: one clear line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
