"""mlkit/experiments/report.py: score formatting, tables with the paper beside ours, JSON without NaN."""
import json

import pytest

from mlkit.experiments.report import finite_or_none, format_score, load_result, markdown_table, write_result


def test_format_score_rounds_and_explains_missing_values():
    assert format_score({"mean": 0.7123, "ci95": 0.0431}) == "0.71 ± 0.04"
    assert format_score({"mean": 0.7123, "ci95": 0.0431}, digits=3) == "0.712 ± 0.043"
    assert format_score({"mean": None, "note": "diverged at step 3"}) == "diverged at step 3"
    assert format_score({"mean": float("nan"), "ci95": 1.0}) == "diverged"
    assert format_score({"mean": 1.0, "ci95": 0.5, "mark": "†"}) == "1.00 ± 0.50†"
    assert format_score(None) == "–"


def test_markdown_table_puts_cells_in_columns():
    table = markdown_table(["method", "paper", "ours"], [["MAML", {"mean": 0.71, "ci95": 0.07}, float("inf")]])
    lines = table.splitlines()
    assert lines[0] == "| method | paper | ours |"
    assert lines[2] == "| MAML | 0.71 ± 0.07 | diverged |"


def test_write_result_writes_json_and_markdown_and_refuses_nan(tmp_path, capsys):
    result = {"experiment": "demo", "value": finite_or_none(float("nan"))}
    write_result("demo", result, "# demo table", tmp_path, as_json=False)
    assert json.loads((tmp_path / "demo.json").read_text()) == {"experiment": "demo", "value": None}
    assert (tmp_path / "demo.md").read_text() == "# demo table\n"
    assert capsys.readouterr().out.strip() == "# demo table"
    assert load_result("demo", tmp_path) == result
    with pytest.raises(ValueError):  # NaN never reaches a JSON file
        write_result("bad", {"value": float("nan")}, "", tmp_path, as_json=True)


def test_load_result_names_the_command_when_missing(tmp_path):
    with pytest.raises(ValueError, match="python -m mlkit reproduce nothing"):
        load_result("nothing", tmp_path)
