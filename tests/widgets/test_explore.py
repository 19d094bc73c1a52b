"""``explore``: live controls in JupyterLab (outputs recorded, never captured), one plain call in headless runs."""
import ipywidgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mlkit.widgets import HEADLESS_ENV, explore, record  # noqa: E402


def test_headless_calls_once_with_the_default_values(monkeypatch):
    monkeypatch.setenv(HEADLESS_ENV, "1")
    calls = []
    result = explore(lambda alpha, shots, seed: calls.append((alpha, shots, seed)),
                     alpha=ipywidgets.FloatLogSlider(value=0.01, min=-4, max=1, description="α"),
                     shots=ipywidgets.IntSlider(value=10, description="shots"), seed=ipywidgets.fixed(3))
    assert result is None and calls == [(0.01, 10, 3)]


def test_live_explorer_redraws_its_output_area_when_a_slider_moves(monkeypatch):
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    box = explore(lambda shots, seed: print(f"shots = {shots}, seed = {seed}"),
                  shots=ipywidgets.IntSlider(value=4, description="shots"), seed=ipywidgets.fixed(7))
    slider, output = box.children  # the fixed seed gets no control
    assert slider.description == "shots" and isinstance(output, ipywidgets.Output)
    assert output.outputs == ({"output_type": "stream", "name": "stdout", "text": "shots = 4, seed = 7\n"},)
    slider.value = 9
    assert output.outputs == ({"output_type": "stream", "name": "stdout", "text": "shots = 9, seed = 7\n"},)


def test_record_keeps_prints_and_displays_in_order_and_shows_errors(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    from IPython.display import Markdown, display

    def draw(n):
        print("before")
        display(Markdown(f"**n = {n}**"))
        print("after")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")

    outputs = record(draw, {"n": 2})
    assert [o["output_type"] for o in outputs] == ["stream", "display_data", "stream"]
    assert outputs[1]["data"]["text/markdown"] == "**n = 2**" and outputs[2]["text"] == "after\n"
    failed = record(draw, {"n": -1})
    assert failed[-1]["output_type"] == "error" and failed[-1]["evalue"] == "n must be >= 0, got -1"
    assert any("ValueError" in line for line in failed[-1]["traceback"])
    import sys

    assert sys.stdout is sys.__stdout__ or "Stream" not in type(sys.stdout).__name__  # streams restored


def test_record_restores_the_display_publisher_after_an_error(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    before = shell.display_pub
    record(lambda: 1 / 0, {})
    assert shell.display_pub is before
    plt.close("all")


def _explorer_notebook(path):
    """A notebook of six explorer cells (print + plot each), the shape of every widget cell in notebooks/."""
    import nbformat

    body = ("import matplotlib.pyplot as plt\nimport ipywidgets\nfrom mlkit.widgets import explore\n\n"
            "def show(a=1):\n    fig, ax = plt.subplots(figsize=(2, 2))\n    ax.plot([0, a])\n    plt.show()\n"
            "    print(f'value = {a}')\n\n")
    cells = [nbformat.v4.new_code_cell("%matplotlib inline")]
    cells += [nbformat.v4.new_code_cell(body + f"explore(show, a=ipywidgets.IntSlider(value={i}, max=20))")
              for i in range(6)]
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, path)
    return path


def test_plain_papermill_never_hangs_on_explorers(tmp_path, monkeypatch):
    """The hang this module's design avoids appeared in about 1 of 4 papermill runs of such a notebook with
    ``interact`` when three ran side by side; nine runs, three at a time, with a deadline each, must all finish."""
    import os
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    source = _explorer_notebook(tmp_path / "explorers.ipynb")
    env = {k: v for k, v in os.environ.items() if k != HEADLESS_ENV}

    def run(i):
        try:
            return subprocess.run([sys.executable, "-m", "papermill", str(source), str(tmp_path / f"out{i}.ipynb"),
                                   "-k", "python3", "--no-progress-bar"], env=env, capture_output=True,
                                  timeout=90).returncode
        except subprocess.TimeoutExpired:
            return "hung"

    with ThreadPoolExecutor(3) as pool:
        codes = list(pool.map(run, range(9)))
    assert codes == [0] * 9, codes
    import nbformat

    state = nbformat.read(tmp_path / "out0.ipynb", as_version=4).metadata["widgets"]
    outputs = [m["state"]["outputs"] for m in state["application/vnd.jupyter.widget-state+json"]["state"].values()
               if m["model_name"] == "OutputModel"]
    assert len(outputs) == 6 and all([o["output_type"] for o in out] == ["display_data", "stream"] for out in outputs)
