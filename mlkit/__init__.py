"""mlkit: a small PyTorch package for learning meta-learning by doing it.

    tasks  ->  learners  ->  meta  ->  train / evaluate / tuning  ->  experiments, bench, viz, widgets / notebooks

The arrows point one way: no module of tasks, learners or meta imports train, evaluate, tuning or anything to their
right (tests/test_layers.py). See README.md and the notebooks; every module says which paper and equation it
implements, and ``python -m mlkit.apidocs`` renders them all as HTML (``make docs``).
"""
__version__ = "0.1.0"
