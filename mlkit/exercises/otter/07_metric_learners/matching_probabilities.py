"""Exercise `matching_probabilities` of notebook 07 (otter-grader test file): the attention-weighted vote of the
one-hot support labels, Vinyals et al. (2016), eq. 1."""
from otter.test_files import test_case

from mlkit.exercises import metric

OK_FORMAT = False
name = "matching_probabilities"
points = 1


@test_case(name="the class probabilities of eq. 1", points=1)
def matching_probabilities_follow_equation_1(matching_probabilities):
    metric.check_matching_probabilities(matching_probabilities)
