"""Exercise `sample_mask` of notebook 03 (otter-grader test file): an MT-net's mask, drawn with the straight-through
Gumbel-softmax from the logits ζ and given uniform noise (Lee 2018, eqs. 3.7-3.9)."""
from otter.test_files import test_case

from mlkit.exercises import mtnet

OK_FORMAT = False
name = "sample_mask"
points = 2


@test_case(name="a hard 0/1 mask, 1 with probability sigmoid(zeta), with the relaxed sample's gradient", points=2)
def sample_mask_is_straight_through_gumbel_softmax(sample_mask):
    mtnet.check_sample_mask(sample_mask)
