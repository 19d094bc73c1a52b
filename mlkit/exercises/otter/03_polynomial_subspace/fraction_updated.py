"""Exercise `fraction_updated` of notebook 03 (otter-grader test file): the expected fraction of a layer's weights an
MT-net updates, the mean of sigmoid(zeta) over its units (Lee 2018, Figure 6.1)."""
from otter.test_files import test_case

from mlkit.exercises import mtnet

OK_FORMAT = False
name = "fraction_updated"
points = 1


@test_case(name="the mean of sigmoid(zeta)", points=1)
def fraction_updated_is_the_mean_probability(fraction_updated):
    mtnet.check_fraction_updated(fraction_updated)
