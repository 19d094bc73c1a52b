"""The browser test's report (``tests/browser/``): what each notebook's run and slider moves did.

The process that runs the browser test writes it to ``build/screenshots/report.json``; the main pytest process
prints it at the end of the run (under pytest-xdist the browser test runs in a worker, and workers print nothing).
"""
from __future__ import annotations

import json
from pathlib import Path

REPORT_FILE = Path(__file__).resolve().parents[1] / "build" / "screenshots" / "report.json"


def write_report(report: dict[str, dict]) -> None:
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    REPORT_FILE.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


def print_report(terminalreporter, written_since: float) -> None:
    """The report's lines under a "JupyterLab in Chromium" heading, if it was written at or after ``written_since``
    (a report left by an earlier run, when this run had no browser test, is not shown)."""
    if not REPORT_FILE.is_file() or REPORT_FILE.stat().st_mtime < written_since:
        return
    terminalreporter.section("JupyterLab in Chromium")
    for notebook, entry in json.loads(REPORT_FILE.read_text(encoding="utf-8")).items():
        terminalreporter.write_line(
            f"{notebook}: open {entry['open_s']:.1f} s, run all {entry['run_all_s']:.1f} s, "
            f"{entry['total_s']:.1f} s in all, {entry['sliders']} slider(s), "
            f"screenshot {entry['screenshot']}"
        )
        for move in entry["moves"]:
            terminalreporter.write_line(
                f"    {move['slider']!r} by {move['how']}: {move['value_before']} -> {move['value_after']}; "
                f"{move['text_before']!r} -> {move['text_after']!r}; image changed: {move['image_changed']}"
            )
