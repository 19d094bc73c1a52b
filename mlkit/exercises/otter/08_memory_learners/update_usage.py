"""Exercise `update_usage` of notebook 08 (otter-grader test file): the usage weights and the least-used weights of
least recently used access (Santoro et al. 2016, §3.2)."""
from otter.test_files import test_case

from mlkit.exercises import memory

OK_FORMAT = False
name = "update_usage"
points = 2


@test_case(name="usage decays and grows with reads and writes; the n least-used slots are marked", points=2)
def update_usage_follows_section_3_2(update_usage):
    memory.check_update_usage(update_usage)
