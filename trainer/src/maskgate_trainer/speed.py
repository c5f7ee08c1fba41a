"""Per-face latency of exported models as the appliance runs them: onnxruntime on CPU, one intra-op
thread, batch 1. Models are timed interleaved (round-robin, median per model) so that load from
other processes on a shared machine hits every model alike; the figures compare models measured in
one run, and absolute values depend on the machine's load at the time."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np


def ms_per_face(paths: list[Path], rounds: int = 30, per_round: int = 10) -> dict[str, dict[str, float]]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    sessions = {str(p): ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"]) for p in paths}
    x = np.random.default_rng(0).uniform(-1, 1, (1, 3, 112, 112)).astype(np.float32)
    for s in sessions.values():
        s.run(None, {s.get_inputs()[0].name: x})  # warm-up
    times: dict[str, list[float]] = {p: [] for p in sessions}
    for _ in range(rounds):
        for p, s in sessions.items():
            name = s.get_inputs()[0].name
            t0 = time.perf_counter()
            for _ in range(per_round):
                s.run(None, {name: x})
            times[p].append(1000 * (time.perf_counter() - t0) / per_round)
    return {p: {"median": statistics.median(t), "min": min(t), "p90": sorted(t)[int(0.9 * (len(t) - 1))],
                "mib": Path(p).stat().st_size / 2**20} for p, t in times.items()}
