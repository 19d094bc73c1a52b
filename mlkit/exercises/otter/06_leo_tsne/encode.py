"""Exercise `encode` of notebook 06 (otter-grader test file): LEO's encoder and relation network give a Gaussian
q(z_n | D_n) per class, Rusu et al. (2019), eq. 3."""
from otter.test_files import test_case

from mlkit.exercises import leo

OK_FORMAT = False
name = "encode"
points = 3


@test_case(name="the code distribution of eq. 3 and a sample from it", points=3)
def encode_follows_equation_3(encode):
    leo.check_encode(encode)
