"""Exercise `latent_step` of notebook 06 (otter-grader test file): one gradient step on the codes, through the
decoder, Rusu et al. (2019), §2.3.2."""
from otter.test_files import test_case

from mlkit.exercises import leo

OK_FORMAT = False
name = "latent_step"
points = 3


@test_case(name="one latent step, differentiable to second order", points=3)
def latent_step_moves_the_codes(latent_step):
    leo.check_latent_step(latent_step)
