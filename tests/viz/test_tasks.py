"""mlkit/viz/tasks.py: training curves of one run or several (one colour each, the legend beside the plot), and
pictures of tasks with labelled axes and a title."""
import matplotlib

matplotlib.use("Agg")

from mlkit.tasks import SineTasks  # noqa: E402
from mlkit.train import History  # noqa: E402
from mlkit.viz.tasks import plot_history, plot_sine_tasks  # noqa: E402


def history(scale: float) -> History:
    return History(steps=[10, 20, 30], train_loss=[3 * scale, 2 * scale, scale], val_steps=[15, 30],
                   val_metric=[2.5 * scale, 1.5 * scale])


def test_one_history_two_panels_no_legend():
    left, right = plot_history(history(1.0)).axes
    assert list(left.get_lines()[0].get_ydata()) == [3.0, 2.0, 1.0]
    assert list(right.get_lines()[0].get_ydata()) == [2.5, 1.5] and right.get_legend() is None
    assert left.get_xlabel() == right.get_xlabel() == "meta-iteration" and left.get_ylabel() and right.get_ylabel()


def test_several_histories_share_colours_and_a_legend_beside_the_plot():
    fig = plot_history({"MAML": history(1.0), "baseline": history(10.0)}, title="two runs", log=True)
    left, right = fig.axes
    colours = [line.get_color() for line in left.get_lines()]
    assert colours == [line.get_color() for line in right.get_lines()] and len(set(colours)) == 2
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["MAML", "baseline"]
    assert right.get_legend().get_bbox_to_anchor().x0 > right.get_window_extent().x1 - 1  # covers no curve
    assert left.get_yscale() == right.get_yscale() == "log" and fig._suptitle.get_text() == "two runs"


def test_a_diverged_run_is_marked_where_it_stopped():
    run = history(1.0)
    run.diverged_at = 25
    left, _ = plot_history({"a": run, "b": history(2.0)}).axes
    assert any(list(line.get_xdata()) == [25, 25] for line in left.get_lines())


def test_sine_tasks_have_axis_labels_a_title_and_an_outside_legend():
    tasks = SineTasks(k_shot=5, meta_batch=4, seed=0)
    fig = plot_sine_tasks(tasks, tasks.sample())
    assert fig.axes[0].get_ylabel() == "y" and all(ax.get_xlabel() == "x" for ax in fig.axes)
    assert fig._suptitle.get_text() and fig.axes[-1].get_legend() is not None
