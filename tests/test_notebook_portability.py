"""Every notebook as papermill runs it, on CPUs unlike this one: the stored outputs must hold on any x86 CPU.

Each notebook is executed by plain ``papermill`` (the command people type; no ``MLKIT_HEADLESS``) with a deadline,
with PyTorch's generic kernels (``ATEN_CPU_CAPABILITY=default``: no SIMD, the summation orders furthest from the
AVX2/AVX-512 ones the stored outputs were made with), and its text outputs must equal the stored ones after the
sanitizing strict nbval applies (``tests/nbval_sanitize.cfg``; cells tagged ``nbval-ignore-output`` skipped). With
``make test``'s own nbval run (this CPU's kernels), every notebook runs under two kernel levels per test run, and a
widget cell that hung papermill would fail here by its deadline instead of hanging CI. The notebooks run two at a
time (one thread each). ``MLKIT_PORTABILITY_LEVELS="default avx2"`` adds levels (``../shared/tools/fresh-clone-check
default avx2`` runs the full check by hand).
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from test_notebooks import NOTEBOOKS, ROOT, sanitize

LEVELS = tuple(os.environ.get("MLKIT_PORTABILITY_LEVELS", "default").split())
DEADLINE_S = 600  # a notebook's quick mode takes a minute or two; ten means it hangs
SKIPPED = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
           "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")  # as strict nbval skips them


def comparable(outputs: list[dict]) -> dict[str, list[str]]:
    """Outputs as strict nbval compares them: streams joined per name, every other key and text MIME type listed in
    order, sanitized."""
    out: dict[str, list[str]] = defaultdict(list)
    streams: dict[str, str] = {}
    for output in outputs:
        if output["output_type"] == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + output["text"]
            continue
        for key, value in output.items():
            if key == "data":
                for mime, data in value.items():
                    if mime not in SKIPPED:
                        out[mime].append(sanitize(data if isinstance(data, str) else str(data)))
            elif key not in SKIPPED:
                out[key].append(sanitize(str(value)))
    for name, text in streams.items():
        out[f"stream:{name}"].append(sanitize(text))
    return dict(out)


def differences(stored: nbformat.NotebookNode, ran: nbformat.NotebookNode) -> list[str]:
    found = []
    cells = [c for c in ran.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for index, (before, after) in enumerate(zip(stored.cells, cells)):
        if before.cell_type != "code" or "nbval-ignore-output" in before.metadata.get("tags", []):
            continue
        errors = [o for o in after.outputs if o["output_type"] == "error"]
        if errors:
            found.append(f"cell {index}: {errors[0]['ename']}: {errors[0]['evalue']}")
        elif comparable(before.outputs) != comparable(after.outputs):
            found.append(f"cell {index}: stored {comparable(before.outputs)} ran {comparable(after.outputs)}")
    return found


def test_comparison_sees_a_changed_number_and_ignores_marked_live_values() -> None:
    stream = lambda text: {"output_type": "stream", "name": "stdout", "text": text}  # noqa: E731
    assert comparable([stream("MSE = 0.123\n")]) != comparable([stream("MSE = 0.124\n")])
    assert comparable([stream("MSE ≈0.123\n")]) == comparable([stream("MSE ≈0.131\n")])
    assert comparable([stream("a\n"), stream("b\n")]) == comparable([stream("a\nb\n")])


def papermill_run(path: Path, level: str, folder: Path) -> tuple[Path | None, str]:
    """Execute ``path`` with plain papermill under kernel level ``level`` into ``folder``: (output, problem)."""
    env = {k: v for k, v in os.environ.items() if k != "MLKIT_HEADLESS"}
    env.update(ATEN_CPU_CAPABILITY=level, OMP_NUM_THREADS="1")
    target = folder / f"{level}-{path.name}"
    try:
        run = subprocess.run([sys.executable, "-m", "papermill", str(path), str(target), "-k", "python3",
                              "--cwd", str(path.parent), "--no-progress-bar"], env=env, capture_output=True,
                             text=True, timeout=DEADLINE_S, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, f"papermill did not finish {path.name} within {DEADLINE_S} s (ATEN_CPU_CAPABILITY={level}): hung"
    if not target.exists():
        return None, run.stderr[-2000:]
    return target, ""


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[tuple[str, str], tuple[Path | None, str]]:
    """Every notebook under every level, two papermill runs at a time."""
    folder = tmp_path_factory.mktemp("papermill")
    jobs = [(path, level) for level in LEVELS for path in NOTEBOOKS]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda job: papermill_run(job[0], job[1], folder), jobs))
    return {(path.name, level): result for (path, level), result in zip(jobs, results)}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_plain_papermill_reproduces_the_stored_outputs_under_another_kernel_level(path: Path, level: str,
                                                                                   executed) -> None:
    target, problem = executed[(path.name, level)]
    assert target is not None, problem
    found = differences(nbformat.read(path, as_version=4), nbformat.read(target, as_version=4))
    assert not found, f"{path.name} under ATEN_CPU_CAPABILITY={level}:\n" + "\n".join(found)
