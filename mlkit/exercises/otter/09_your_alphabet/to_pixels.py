"""Exercise `to_pixels` of notebook 09 (otter-grader test file): a pen position in Omniglot's stroke files (x, y in
the 105x105 image's pixel units, y negative downwards) as (row, column) of the image a model reads."""
from otter.test_files import test_case

from mlkit.exercises import alphabet

OK_FORMAT = False
name = "to_pixels"
points = 1


@test_case(name="(x, y) -> (row, column) at 28x28 and at 105x105", points=1)
def to_pixels_puts_the_pen_on_the_ink(to_pixels):
    alphabet.check_to_pixels(to_pixels)
