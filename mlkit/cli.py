"""Command line: ``python -m mlkit {train,eval,bench,reproduce} ...`` (``--help`` on each)."""
from __future__ import annotations

import argparse
import ast
import json
import sys
from typing import Any, Sequence

from mlkit.tasks.registry import TASK_FAMILIES


def _options(pairs: Sequence[str]) -> dict[str, Any]:
    """``["steps=5", "alpha=0.01"]`` -> {"steps": 5, "alpha": 0.01} (values read as Python literals)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--option must look like KEY=VALUE, got {pair!r}")
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
    p.add_argument("--q-query", type=int, default=None, help="query examples per task/class (family default)")
    p.add_argument("--n-way", type=int, default=5, help="classes per episode (images)")
    p.add_argument("--order", type=int, default=1, help="polynomial order")
    p.add_argument("--data-root", default=None, help="folder with the dataset files (omniglot, miniimagenet)")
    p.add_argument("--seed", type=int, default=0)


def _sampler(args: argparse.Namespace, split: str, meta_batch: int, seed: int):
    from mlkit.tasks import make_tasks

    return make_tasks(
        args.tasks, split=split, k_shot=args.k_shot, q_query=args.q_query, n_way=args.n_way,
        meta_batch=meta_batch, seed=seed, order=args.order, data_root=args.data_root,
    )


def _cmd_train(args: argparse.Namespace) -> int:
    from mlkit.recipes import build
    from mlkit.train import train

    sampler = _sampler(args, "train", args.meta_batch, args.seed)
    meta = build(args.method, sampler, meta_lr=args.meta_lr, **_options(args.option))
    val = _sampler(args, "val", 25, args.seed + 10_000)
    history = train(
        meta, sampler, args.steps, val_sampler=val, val_every=args.val_every, val_tasks=args.val_tasks,
        checkpoint=args.checkpoint, device=args.device, seed=args.seed,
    )
    if history.diverged:
        print(f"diverged at step {history.diverged_at}: the meta-loss or a gradient was not finite "
              f"(try a smaller step size); last good checkpoint kept at {args.checkpoint}")
        return 3
    val_text = f", validation {history.val_metric[-1]:.4f}" if history.val_metric else ""
    print(f"trained {meta.name} for {args.steps} steps: loss {history.train_loss[-1]:.4f}{val_text}; "
          f"checkpoint {args.checkpoint}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from mlkit.checkpoint import load_meta_learner
    from mlkit.evaluate import evaluate

    meta = load_meta_learner(args.checkpoint)
    sampler = _sampler(args, "test", 100, args.seed)
    score = evaluate(meta, sampler, n_tasks=args.n_tasks, **_options(args.option))
    print(json.dumps(score.as_dict()) if args.json else f"{meta.name} on {args.n_tasks} {args.tasks} test tasks: {score}")
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
    p.add_argument("--method", default="finetune", choices=sorted(METHODS))
    _task_arguments(p)
    p.add_argument("--steps", type=int, default=1000, help="meta-iterations")
    p.add_argument("--meta-batch", type=int, default=4, help="tasks per meta-iteration")
    p.add_argument("--meta-lr", type=float, default=1e-3, help="outer (Adam) learning rate")
    p.add_argument("--val-every", type=int, default=500)
    p.add_argument("--val-tasks", type=int, default=100)
    p.add_argument("--checkpoint", default="runs/model.pt", help="written atomically; an existing one is resumed")
    p.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda, cuda:1 ...")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="method argument, repeatable")
    p.set_defaults(run=_cmd_train)

    p = sub.add_parser("eval", help="evaluate a checkpoint on held-out tasks: mean and 95%% interval")
    p.add_argument("checkpoint")
    _task_arguments(p)
    p.add_argument("--n-tasks", type=int, default=600)
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="adapt() argument, repeatable")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_cmd_eval)

    p = sub.add_parser("bench", help="speed benchmarks, as ratios against a reference measured in the same run")
    p.add_argument("name", choices=sorted(benchmarks()))
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_cmd_bench)

    p = sub.add_parser("reproduce", help="reproduce a published table or figure beside the paper's numbers")
    p.add_argument("name", choices=sorted(experiments()) or None)
    p.add_argument("--quick", action="store_true", help="a short run to check the pipeline (minutes)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out-dir", default="results")
    p.add_argument("--jobs", type=int, default=None, help="trainings run in parallel processes (regression tables)")
    p.add_argument("--device", default=None, help="where networks train: auto, cpu, cuda (image experiments)")
    p.set_defaults(run=_cmd_reproduce)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:  # bad input: one clear line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
