"""Exercise `decode` of notebook 06 (otter-grader test file): LEO's decoder gives a Gaussian over each class's
classifier weights, Rusu et al. (2019), eq. 4."""
from otter.test_files import test_case

from mlkit.exercises import leo

OK_FORMAT = False
name = "decode"
points = 2


@test_case(name="the weight distribution of eq. 4 and a sample from it", points=2)
def decode_follows_equation_4(decode):
    leo.check_decode(decode)
