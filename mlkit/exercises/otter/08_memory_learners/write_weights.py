"""Exercise `write_weights` of notebook 08 (otter-grader test file): the write weights of least recently used access,
σ(α) w^r_{t−1} + (1 − σ(α)) w^lu_{t−1} (Santoro et al. 2016, §3.2)."""
from otter.test_files import test_case

from mlkit.exercises import memory

OK_FORMAT = False
name = "write_weights"
points = 2


@test_case(name="the gate mixes the previous read weights and the least-used slot", points=2)
def write_weights_follow_section_3_2(write_weights):
    memory.check_write_weights(write_weights)
