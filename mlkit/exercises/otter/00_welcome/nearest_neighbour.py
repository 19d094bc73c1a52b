"""Exercise `nearest_neighbour` of notebook 00 (otter-grader test file): the pixel nearest-neighbour baseline of
one-shot classification (Lake, Salakhutdinov & Tenenbaum 2015)."""
from otter.test_files import test_case

from mlkit.exercises import episodes

OK_FORMAT = False
name = "nearest_neighbour"
points = 2


@test_case(name="every query takes the label of its nearest support image", points=2)
def nearest_neighbour_takes_the_nearest_label(nearest_neighbour):
    episodes.check_nearest_neighbour(nearest_neighbour)
