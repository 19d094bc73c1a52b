"""Exercise `meta_gradient` of notebook 01 (otter-grader test file): the gradient of the query loss after the step
with respect to θ, Hessian term included (Finn et al. 2017, §2.2)."""
from otter.test_files import test_case

from mlkit.exercises import maml

OK_FORMAT = False
name = "meta_gradient"
points = 2


@test_case(name="the meta-gradient through the step", points=2)
def meta_gradient_goes_through_the_step(meta_gradient):
    maml.check_meta_gradient(meta_gradient)
