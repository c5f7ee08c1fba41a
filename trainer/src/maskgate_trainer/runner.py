"""The one epoch loop every stage runs (as arcface_torch's training loop with its CallBackLogging and
CallBackVerification): a stage supplies what one optimisation step does and what its checkpoint
holds; the loop owns epochs, seeding, resuming, per-epoch records and the callbacks.

Callbacks: `ProgressLogging` (progress bar with running losses and images/s), `Checkpointing`
(atomic `<out_dir>/<stage>.pt` after every epoch, main process only) and `Verification` (the dev
evaluation once training ends)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from torch.utils.data import DataLoader
from tqdm import tqdm

from . import distributed as dist_util

StepFn = Callable[[dict, int], dict[str, float]]  # (batch, global step) -> scalar logs, incl. "images"


class Callback:
    """Hooks around the loop; every method is optional."""

    def on_epoch_start(self, epoch: int, steps: int) -> None: ...

    def on_step(self, epoch: int, step: int, logs: dict[str, float], images_per_second: float) -> None: ...

    def on_epoch_end(self, epoch: int, record: dict, history: list[dict]) -> None: ...

    def on_train_end(self, history: list[dict]) -> None: ...


@dataclass
class EpochLoop:
    """What a stage hands to `run`: its data, its step, its checkpoint content."""

    stage: str
    epochs: int
    make_loader: Callable[[int], DataLoader]  # epoch -> loader (the dataset is re-seeded per epoch)
    step: StepFn
    train_mode: Callable[[], None]  # puts the trainable modules in train mode at each epoch start
    callbacks: Sequence[Callback] = field(default_factory=list)


def run(loop: EpochLoop, start_epoch: int = 0, history: list[dict] | None = None) -> list[dict]:
    """Epochs `start_epoch`..`loop.epochs-1`; returns the history, one record per epoch (mean of every
    logged scalar, plus imagesPerSecond)."""
    history = list(history or [])
    for epoch in range(start_epoch, loop.epochs):
        loader = loop.make_loader(epoch)
        steps_per_epoch = len(loader)
        loop.train_mode()
        for cb in loop.callbacks:
            cb.on_epoch_start(epoch, steps_per_epoch)
        t0, seen, sums, n = time.time(), 0, {}, 0
        for step, batch in enumerate(loader):
            logs = loop.step(batch, epoch * steps_per_epoch + step)
            seen += int(logs.pop("images"))
            n += 1
            for k, v in logs.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            rate = seen / max(time.time() - t0, 1e-9)
            for cb in loop.callbacks:
                cb.on_step(epoch, step, logs, rate)
        record = {"epoch": epoch, **{k: v / max(n, 1) for k, v in sums.items()},
                  "imagesPerSecond": seen / max(time.time() - t0, 1e-9)}
        history.append(record)
        for cb in loop.callbacks:
            cb.on_epoch_end(epoch, record, history)
    for cb in loop.callbacks:
        cb.on_train_end(history)
    return history


class ProgressLogging(Callback):
    """A progress bar per epoch (main process only) showing the named logs and images per second."""

    def __init__(self, stage: str, epochs: int, show: Sequence[str]) -> None:
        self.stage, self.epochs, self.show = stage, epochs, tuple(show)
        self._bar: tqdm | None = None

    def on_epoch_start(self, epoch: int, steps: int) -> None:
        self._bar = tqdm(total=steps, desc=f"{self.stage} {epoch + 1}/{self.epochs}", unit="batch",
                         disable=not dist_util.is_main(), mininterval=5.0)

    def on_step(self, epoch: int, step: int, logs: dict[str, float], images_per_second: float) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        self._bar.set_postfix({k: f"{logs[k]:.4f}" for k in self.show if k in logs} | {"img_s": f"{images_per_second:.1f}"},
                              refresh=False)

    def on_epoch_end(self, epoch: int, record: dict, history: list[dict]) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class Checkpointing(Callback):
    """Writes the stage's checkpoint after every epoch through `save(epoch, history)`."""

    def __init__(self, save: Callable[[int, list[dict]], None]) -> None:
        self._save = save

    def on_epoch_end(self, epoch: int, record: dict, history: list[dict]) -> None:
        self._save(epoch, history)


class Verification(Callback):
    """Runs `verify()` (the dev-pair evaluation) once, when training ends, on the main process;
    its result is kept in `result`."""

    def __init__(self, verify: Callable[[], dict]) -> None:
        self._verify = verify
        self.result: dict | None = None

    def on_train_end(self, history: list[dict]) -> None:
        if dist_util.is_main():
            self.result = self._verify()
