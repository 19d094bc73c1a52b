"""Exercise `protonet_loss` of notebook 07 (otter-grader test file): the softmax over negative squared distances and
its loss −log p of the true class, Snell, Swersky & Zemel (2017), eq. 2."""
from otter.test_files import test_case

from mlkit.exercises import metric

OK_FORMAT = False
name = "protonet_loss"
points = 3


@test_case(name="the loss of eq. 2 with the squared Euclidean distance", points=3)
def protonet_loss_follows_equation_2(protonet_loss):
    metric.check_protonet_loss(protonet_loss)
