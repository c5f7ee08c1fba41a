"""The one epoch loop: records, resume start, callback order."""

from __future__ import annotations

from maskgate_trainer import runner


class Recorder(runner.Callback):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def on_epoch_start(self, epoch, steps):
        self.events.append(("start", epoch, steps))

    def on_step(self, epoch, step, logs, images_per_second):
        self.events.append(("step", epoch, step, logs["loss"]))

    def on_epoch_end(self, epoch, record, history):
        self.events.append(("end", epoch, len(history)))

    def on_train_end(self, history):
        self.events.append(("done", len(history)))


def test_run_averages_logs_per_epoch_and_calls_back_in_order():
    rec, modes = Recorder(), []
    loop = runner.EpochLoop(
        stage="t", epochs=3, make_loader=lambda epoch: [epoch * 10 + k for k in range(2)],
        step=lambda batch, global_step: {"images": 4, "loss": float(batch), "global": float(global_step)},
        train_mode=lambda: modes.append(1), callbacks=[rec])
    history = runner.run(loop, start_epoch=1, history=[{"epoch": 0, "loss": 99.0}])
    assert [h["epoch"] for h in history] == [0, 1, 2]
    assert history[1]["loss"] == 10.5 and history[2]["loss"] == 20.5
    assert history[2]["global"] == 4.5  # global step = epoch * steps + step
    assert history[1]["imagesPerSecond"] > 0 and len(modes) == 2
    assert rec.events[:4] == [("start", 1, 2), ("step", 1, 0, 10.0), ("step", 1, 1, 11.0), ("end", 1, 2)]
    assert rec.events[-1] == ("done", 3)


def test_checkpointing_and_verification_callbacks_fire_at_their_moments():
    saved, verified = [], []
    verification = runner.Verification(lambda: verified.append(1) or {"acc": 1.0})
    loop = runner.EpochLoop("t", 2, lambda e: [0], lambda b, g: {"images": 1}, lambda: None,
                            [runner.Checkpointing(lambda epoch, history: saved.append(epoch)), verification])
    runner.run(loop)
    assert saved == [0, 1] and verified == [1] and verification.result == {"acc": 1.0}
