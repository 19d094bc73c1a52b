"""One writer per checkpoint: an exclusive lock file ``NAME.lock`` beside ``NAME`` while a run writes it.

The lock is created with ``O_CREAT | O_EXCL`` (the operating system lets exactly one process create it) and holds
``pid@host`` of its owner. A second run that would write the same checkpoint is refused with the owner's pid. A lock
left by a run that was killed (its process no longer exists on this host) is stale: the next run takes it over with
a warning, so ``kill -9`` and resume, or torchrun restarting its workers, need nothing by hand.
"""
from __future__ import annotations

import os
import socket
import warnings
from pathlib import Path


def lock_path(checkpoint: str | Path) -> Path:
    """``NAME.lock`` beside the checkpoint ``NAME``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(f"{checkpoint.name}.lock")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class CheckpointLock:
    """``with CheckpointLock(path):`` -- hold ``path``'s lock file for the block (``ValueError`` if another live
    process holds it). Creating the lock also creates the checkpoint's folder, so a path that cannot be written is
    refused before any training."""

    def __init__(self, checkpoint: str | Path) -> None:
        self.checkpoint = Path(checkpoint)
        self.path = lock_path(checkpoint)
        self.owner = f"{os.getpid()}@{socket.gethostname()}"

    def _holder(self) -> tuple[int | None, str]:
        """(pid, host) written in the existing lock file; pid None when it cannot be read."""
        try:
            pid, _, host = self.path.read_text().strip().partition("@")
            return int(pid), host
        except (OSError, ValueError):
            return None, ""

    def acquire(self) -> "CheckpointLock":
        """Create the lock file (and the checkpoint's folder), taking over a stale lock; ``ValueError`` if a live
        process holds it or the folder cannot be written."""
        if self.checkpoint.is_dir():
            raise ValueError(f"checkpoint must be a file path (e.g. {self.checkpoint / 'model.pt'}), got the folder "
                             f"{self.checkpoint}")
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ValueError(f"checkpoint folder {folder} cannot be created ({error.strerror or error})") from None
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid, host = self._holder()
                if pid is None or host != socket.gethostname() or _alive(pid):
                    holder = "an unknown process" if pid is None else f"process {pid}" + (
                        f" on {host}" if host != socket.gethostname() else "")
                    raise ValueError(
                        f"checkpoint {self.checkpoint} is being written by another run: {holder} holds {self.path} "
                        f"(wait for that run to end; delete the lock file only if no run writes there)"
                    ) from None
                warnings.warn(f"taking over the stale lock {self.path} of process {pid}, which no longer runs "
                              f"(a killed run)", stacklevel=3)
                self.path.unlink(missing_ok=True)
                continue
            except OSError as error:
                raise ValueError(f"checkpoint folder {folder} is not writable ({error.strerror or error})") from None
            with os.fdopen(fd, "w") as f:
                f.write(self.owner + "\n")
            return self
        raise ValueError(f"checkpoint {self.checkpoint}: another run keeps taking the lock {self.path}")

    def release(self) -> None:
        """Remove the lock file if it is still ours."""
        try:
            if self.path.read_text().strip() == self.owner:
                self.path.unlink()
        except OSError:
            pass

    def __enter__(self) -> "CheckpointLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
