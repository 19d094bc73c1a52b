"""A JupyterLab server of its own for driving notebooks in a real browser: loopback only, a random free port and
token, every folder it would read or write in the home directory (config, settings, workspaces, runtime, data) a
temporary one, so a student's own JupyterLab set-up can neither change nor be changed by it. Used by the browser tests
(tests/browser/conftest.py) and by tests/draw_example.py, which draws notebook 09's example alphabet on the pad.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or ``$MLKIT_CHROMIUM``) driven by the Python
``playwright`` package with these flags; playwright's own browser download is never used.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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

    def __enter__(self) -> "JupyterLab":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
