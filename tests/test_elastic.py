"""``torchrun --max-restarts``: a worker killed mid-run is restarted by torch's elastic agent, every worker resumes
from the last checkpoint, and the final weights equal those of an uninterrupted two-process run, bit for bit.

The agent may restart twice: in about 1 run in 25 on a loaded 2-core machine, a freshly restarted worker aborts
inside gloo while the new process group forms ("terminate called without an active exception", before any training
step), and the agent's next restart goes through. What is tested is that every restart resumes from the checkpoint
and ends where the uninterrupted run ends; the README recommends ``--max-restarts`` of 2 or more for this reason."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from mlkit.checkpoint import read_checkpoint

# The real command line (python -m mlkit train) under torchrun, with one test hook: rank 1 dies (os._exit, like a
# kill -9) when it draws the meta-batch of step KILL_AT, once -- a marker file records that it happened.
WORKER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import mlkit.train
    from mlkit.cli import main

    KILL_AT, MARKER = int(os.environ["KILL_AT"]), Path(os.environ["KILL_MARKER"])

    class KillOnce:
        def __init__(self, sampler):
            self.inner, self.calls = sampler, 0

        def sample(self, n_tasks=None):
            self.calls += 1
            if os.environ["RANK"] == "1" and self.calls == KILL_AT and not MARKER.exists():
                MARKER.write_text(str(os.getpid()))
                os._exit(9)
            return self.inner.sample(n_tasks)

        def reseeded(self, seed=None):
            return KillOnce(self.inner.reseeded(seed))

        def __getattr__(self, name):
            return getattr(self.inner, name)

    original = mlkit.train.train
    mlkit.train.train = lambda meta, sampler, *args, **kwargs: original(meta, KillOnce(sampler), *args, **kwargs)
    sys.exit(main(sys.argv[1:]))
    """
)


def _torchrun(tmp_path: Path, name: str, kill_at: int) -> Path:
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    assert torchrun, "torchrun comes with torch"
    worker = tmp_path / "worker.py"
    worker.write_text(WORKER)
    checkpoint = tmp_path / name / "run.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "KILL_AT": str(kill_at), "KILL_MARKER": str(tmp_path / f"{name}.killed")}
    command = [torchrun, "--standalone", "--nproc_per_node", "2", "--max-restarts", "2", "--monitor-interval", "0.2",
               str(worker), "train", "--method", "maml", "--steps", "6", "--val-every", "2", "--val-tasks", "5",
               "--meta-batch", "3", "--device", "cpu", "--checkpoint", str(checkpoint)]
    # its own process group, so that a timeout stops the agent *and* its workers (no orphans left behind)
    done = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, stderr = done.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(done.pid, signal.SIGKILL)
        done.communicate()
        raise AssertionError(f"torchrun {name} did not finish within 300 s")
    assert done.returncode == 0, stderr[-3000:]
    return checkpoint


def test_a_killed_worker_is_restarted_and_the_run_ends_as_if_never_interrupted(tmp_path):
    straight = read_checkpoint(_torchrun(tmp_path, "straight", kill_at=0))
    restarted_path = _torchrun(tmp_path, "killed", kill_at=5)  # dies drawing step 5; the checkpoint holds step 4
    assert (tmp_path / "killed.killed").is_file(), "rank 1 was not killed"
    restarted = read_checkpoint(restarted_path)
    assert restarted["step"] == straight["step"] == 6 and len(restarted["ranks"]) == 2
    for name, weights in straight["model"].items():
        assert torch.equal(restarted["model"][name], weights), name
    assert not list(restarted_path.parent.glob("*.lock")) and not list(restarted_path.parent.glob(".*.tmp"))
