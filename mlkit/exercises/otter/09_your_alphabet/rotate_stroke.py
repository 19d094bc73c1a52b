"""Exercise `rotate_stroke` of notebook 09 (otter-grader test file): one stroke turned and scaled about the centre of
its box, in Omniglot's coordinates (one piece of a stroke perturbation)."""
from otter.test_files import test_case

from mlkit.exercises import alphabet

OK_FORMAT = False
name = "rotate_stroke"
points = 2


@test_case(name="turned counter-clockwise and scaled about its centre, t kept", points=2)
def rotate_stroke_turns_about_the_centre(rotate_stroke):
    alphabet.check_rotate_stroke(rotate_stroke)
