"""Exercise `prototypes` of notebook 07 (otter-grader test file): the prototypes as class means, Snell, Swersky &
Zemel (2017), eq. 1."""
from otter.test_files import test_case

from mlkit.exercises import metric

OK_FORMAT = False
name = "prototypes"
points = 2


@test_case(name="the prototypes are the class means of eq. 1", points=2)
def prototypes_are_class_means(prototypes):
    metric.check_prototypes(prototypes)
