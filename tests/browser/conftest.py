"""JupyterLab in a real, headless Chromium: the server and browser fixtures of the browser test.

The server (tests/lab_server.py) listens on loopback only, on a random free port with a random token, and every
folder it would otherwise read or write in the home directory is a temporary one. The notebooks are copied to a
temporary root folder (and trusted there), so Run All never writes into ``notebooks/``; their stored outputs stay,
as a student sees them, but their ``[n]:`` prompts are blanked so that a number after Run All means "ran now".

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or ``$MLKIT_CHROMIUM``) driven by the Python
``playwright`` package; playwright's own browser download is never used. Where the browser or playwright is
missing the tests skip with the reason -- except under ``CI=true``, where that is a broken set-up and fails.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from browser_report import REPORT_FOLDER, write_report
from lab_server import CHROMIUM, CHROMIUM_FLAGS, JupyterLab

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
STARTED = time.time()  # this test session's start: files in build/screenshots/ older than it are an earlier run's


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; under ``CI=true`` a missing piece of the set-up fails the test."""
    if in_ci():
        pytest.fail(f"{reason} -- CI=true, so this is an error, not a skip (`make test` installs it)")
    pytest.skip(reason)


def notebook_folder() -> Path:
    """``notebooks/``; ``$MLKIT_BROWSER_NOTEBOOKS`` points the test at another folder while developing it."""
    return Path(os.environ.get("MLKIT_BROWSER_NOTEBOOKS", ROOT / "notebooks"))


def forget_execution_counts(notebook: Path) -> None:
    """Blank the stored ``[n]:`` prompts (outputs stay): after Run All, a number on every cell means it ran now."""
    book = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = None
    notebook.write_text(json.dumps(book, indent=1, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """JupyterLab serving temporary, trusted copies of the notebooks."""
    home = tmp_path_factory.mktemp("jupyter-home")
    root_dir = home / "notebooks"
    shutil.copytree(notebook_folder(), root_dir, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    server = JupyterLab(root_dir, home)
    copies = sorted(root_dir.glob("*.ipynb"))
    for copy in copies:
        forget_execution_counts(copy)
    if copies:  # executed headless, then opened: untrusted until signed, and saved widgets would show as text
        subprocess.run([sys.executable, "-m", "jupyter", "trust", *map(str, copies)], env=server.env, check=True,
                       capture_output=True, timeout=120)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_context() -> Iterator[object]:
    """One headless Chromium for the whole session (one context: JupyterLab's scripts are fetched once)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the Python package playwright is not installed")
    if not CHROMIUM.exists():
        skip_or_fail(f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context
        context.close()
        browser.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``notebook``: each numbered notebook, in order."""
    if "notebook" in metafunc.fixturenames:
        notebooks = sorted(notebook_folder().glob("[0-9][0-9]_*.ipynb"))
        metafunc.parametrize("notebook", notebooks, ids=[p.stem for p in notebooks])


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """build/screenshots/, emptied of an earlier run's pictures and reports (those of this run, perhaps written by
    another worker's browser tests, stay)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SCREENSHOTS.glob("*.png"), *REPORT_FOLDER.glob("report*.json")]:
        if old.stat().st_mtime < STARTED:
            old.unlink(missing_ok=True)
    return SCREENSHOTS


# What the sliders did, written to build/screenshots/report-<process>.json (tests/browser_report.py) and printed at the end
# of the run by the main process.
REPORT: dict[str, dict] = {}


@pytest.fixture(scope="session")
def browser_report() -> dict[str, dict]:
    return REPORT


def pytest_sessionfinish(session: pytest.Session) -> None:
    if REPORT:
        write_report(REPORT)
