"""Exercise `kl_divergence` of notebook 06 (otter-grader test file): the KL term of LEO's meta-objective between
the codes' posterior and a standard normal prior, Rusu et al. (2019), eq. 8."""
from otter.test_files import test_case

from mlkit.exercises import leo

OK_FORMAT = False
name = "kl_divergence"
points = 2


@test_case(name="KL(q(z | D) || N(0, I)) of eq. 8", points=2)
def kl_divergence_of_equation_8(kl_divergence):
    leo.check_kl_divergence(kl_divergence)
