"""Exercise `leave_one_out` of notebook 09 (otter-grader test file): the pixel nearest-neighbour baseline of Lake,
Salakhutdinov & Tenenbaum (2015), every image classified by the nearest of the OTHER images."""
from otter.test_files import test_case

from mlkit.exercises import alphabet

OK_FORMAT = False
name = "leave_one_out"
points = 2


@test_case(name="each image takes the label of its nearest other image", points=2)
def leave_one_out_leaves_the_image_out(leave_one_out):
    alphabet.check_leave_one_out(leave_one_out)
