"""JupyterLab in a real, headless Chromium: the server and browser fixtures of the browser test.

The server listens on loopback only, on a random free port with a random token, and every folder it would
otherwise read or write in the home directory (config, settings, workspaces, runtime, data) is a temporary one,
so a student's own JupyterLab set-up can neither change nor be changed by the test. The notebooks are copied to a
temporary root folder (and trusted there), so Run All never writes into ``notebooks/``; their stored outputs stay,
as a student sees them, but their ``[n]:`` prompts are blanked so that a number after Run All means "ran now".

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or ``$MLKIT_CHROMIUM``) driven by the Python
``playwright`` package; playwright's own browser download is never used. Where the browser or playwright is
missing the tests skip with the reason -- except under ``CI=true``, where that is a broken set-up and fails.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from browser_report import REPORT_FILE, write_report

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path(os.environ.get("MLKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT_S = 120

# JupyterLab user settings written into the temporary settings folder.
LAB_SETTINGS = {
    # no "Would you like to receive Jupyter news?" pop-up over the notebook
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    # every cell in the DOM (no virtual scrolling), so every output and widget can be inspected
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLab:
    """A running ``jupyter lab`` process and how to reach it."""

    def __init__(self, root_dir: Path, home: Path) -> None:
        self.root_dir = root_dir
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "jupyterlab.log"
        self.env = dict(os.environ)
        for variable in ("JUPYTER_CONFIG_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR",
                         "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR"):
            folder = home / variable.lower()
            folder.mkdir()
            self.env[variable] = str(folder)
        for name, values in LAB_SETTINGS.items():
            target = Path(self.env["JUPYTERLAB_SETTINGS_DIR"]) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values), encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
            f"--IdentityProvider.token={self.token}", "--allow-root", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root_dir}",
        ]
        log = self.log_path.open("w")
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.root_dir)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within {SERVER_START_TIMEOUT_S} s:\n{self.log_tail()}")

    def shutdown_kernels(self) -> None:
        """End every session (and so its kernel): one notebook's torch kernel must not hold memory for the next."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


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
    """build/screenshots/, emptied of an earlier run's pictures."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SCREENSHOTS.glob("*.png"), REPORT_FILE]:
        old.unlink(missing_ok=True)
    return SCREENSHOTS


# What the sliders did, written to build/screenshots/report.json (tests/browser_report.py) and printed at the end
# of the run by the main process.
REPORT: dict[str, dict] = {}


@pytest.fixture(scope="session")
def browser_report() -> dict[str, dict]:
    return REPORT


def pytest_sessionfinish(session: pytest.Session) -> None:
    if REPORT:
        write_report(REPORT)
