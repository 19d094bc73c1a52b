"""The browser tests' report (``tests/browser/``): what each notebook's run, slider moves and drawing did.

Every process that runs browser tests writes its part to ``build/screenshots/report-<process>.json`` (under
pytest-xdist two browser test files may run in two workers); the main pytest process prints every part written
during this run at the end (workers print nothing).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

REPORT_FOLDER = Path(__file__).resolve().parents[1] / "build" / "screenshots"


def report_file() -> Path:
    """This process's part of the report (``report-gw0.json`` in an xdist worker, ``report-main.json`` otherwise)."""
    return REPORT_FOLDER / f"report-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.json"


def write_report(report: dict[str, dict]) -> None:
    REPORT_FOLDER.mkdir(parents=True, exist_ok=True)
    report_file().write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


def print_report(terminalreporter, written_since: float) -> None:
    """The report's lines under a "JupyterLab in Chromium" heading, from the parts written at or after
    ``written_since`` (parts left by an earlier run are not shown)."""
    parts = sorted(p for p in REPORT_FOLDER.glob("report-*.json") if p.stat().st_mtime >= written_since)
    if not parts:
        return
    entries = {k: v for part in parts for k, v in json.loads(part.read_text(encoding="utf-8")).items()}
    terminalreporter.section("JupyterLab in Chromium")
    for notebook, entry in sorted(entries.items()):
        terminalreporter.write_line(
            f"{notebook}: open {entry['open_s']:.1f} s, run all {entry['run_all_s']:.1f} s, "
            f"{entry['total_s']:.1f} s in all, {entry['sliders']} slider(s), "
            f"screenshot {entry['screenshot']}"
        )
        if "stroke_to_answer_s" in entry:  # notebook 09's drawing test: mouse released -> answer on the page
            seconds = ", ".join(f"{t:.2f} s" for t in entry["stroke_to_answer_s"])
            terminalreporter.write_line(f"    answer {entry.get('answer')!r} after each stroke: {seconds}")
        for move in entry["moves"]:
            terminalreporter.write_line(
                f"    {move['slider']!r} by {move['how']}: {move['value_before']} -> {move['value_after']}; "
                f"{move['text_before']!r} -> {move['text_after']!r}; image changed: {move['image_changed']}"
            )
