from __future__ import annotations

import numpy as np
import onnxruntime as ort
import torch

from maskgate_trainer.models.onnx_net import load_onnx_net, teacher_preprocess_bgr

from .conftest import TEACHER


def test_converted_teacher_matches_onnxruntime_with_any_batch(faces):
    net = load_onnx_net(TEACHER).eval()
    x = teacher_preprocess_bgr(faces[:3])
    sess = ort.InferenceSession(str(TEACHER), providers=["CPUExecutionProvider"])
    want = np.concatenate([sess.run(None, {"input": x[i : i + 1]})[0] for i in range(3)])
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy()
    assert got.shape == (3, 512)
    assert np.abs(got - want).max() < 1e-4


def test_injection_changes_only_when_nonzero(faces):
    net = load_onnx_net(TEACHER).eval()
    x = torch.from_numpy(teacher_preprocess_bgr(faces[:2]))
    shape = net.feature_shapes()["395"]
    assert shape == (64, 28, 28)
    with torch.no_grad():
        base = net(x)
        same = net(x, {"395": torch.zeros(2, *shape)})
        moved = net(x, {"395": torch.ones(2, *shape)})
    assert torch.allclose(base, same) and not torch.allclose(base, moved)


def test_preprocess_is_bgr_minus_127_over_128():
    px = np.zeros((1, 112, 112, 3), np.uint8)
    px[..., 0], px[..., 2] = 255, 127  # R=255, B=127
    x = teacher_preprocess_bgr(px)
    assert x.shape == (1, 3, 112, 112)
    assert x[0, 0, 0, 0] == 0.0 and x[0, 2, 0, 0] == (255 - 127) / 128
