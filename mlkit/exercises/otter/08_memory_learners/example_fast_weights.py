"""Exercise `example_fast_weights` of notebook 08 (otter-grader test file): Meta Networks' example-level fast weights,
the meta-learner applied to each support example's loss gradient (Munkhdalai & Yu 2017, §3)."""
from otter.test_files import test_case

from mlkit.exercises import memory

OK_FORMAT = False
name = "example_fast_weights"
points = 2


@test_case(name="one fast weight per support example, from the gradient of its own loss", points=2)
def fast_weights_from_each_examples_gradient(example_fast_weights):
    memory.check_fast_weights(example_fast_weights)
