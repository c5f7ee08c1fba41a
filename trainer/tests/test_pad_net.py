"""PadNet's crop must be the daemon's (pipeline/pad-model.ts), and the PAD held-out split the generator's."""

import numpy as np
import pytest
import torch

from maskgate_trainer.mask_classifier import MaskNet, is_pad_held_out
from maskgate_trainer.pad_net import PadNet, bpcer_at_apcer, crop_rect, pad_crop


def test_crop_rect_matches_the_daemon():
    # Same cases as test/pipeline/pad-model.test.ts (box given as x0, y0, x1, y1 here).
    assert crop_rect((100, 100, 140, 150), 640, 480, scale=2) == pytest.approx((80, 75, 80, 100))
    x, _, w, _ = crop_rect((5, 200, 45, 240), 640, 480)
    assert x == 0 and w == pytest.approx(108)
    x, y, w, h = crop_rect((10, 10, 110, 110), 120, 120)
    assert x + w <= 119 and y + h <= 119


def test_pad_crop_is_128_rgb_and_follows_the_image():
    img = np.zeros((240, 320, 3), np.uint8)
    img[:, 160:] = 200  # right half bright
    crop = pad_crop(img, (140.0, 100.0, 180.0, 140.0))
    assert crop.shape == (128, 128, 3)
    assert crop[:, :40].mean() < 20 and crop[:, -40:].mean() > 180


def test_held_out_split_matches_the_generator():
    # synthetic/attack-set.ts isPadHeldOut, evaluated in Node for these names.
    assert [is_pad_held_out(n) for n in ("Jacques_Chirac", "Hans_Blix", "AJ_Cook", "Tony_Blair")] == [False, False, False, True]


def test_bpcer_at_apcer_uses_the_weakest_type():
    bona = np.linspace(0, 0.9, 10)
    attacks = {"print": np.linspace(0.1, 1.0, 10), "replay": np.linspace(0.55, 1.0, 10)}
    t, b = bpcer_at_apcer(bona, attacks, 0.1)
    assert t == pytest.approx(0.2) and b == pytest.approx(0.8)


def test_networks_give_two_logits():
    assert PadNet()(torch.zeros(2, 3, 128, 128)).shape == (2, 2)
    assert MaskNet()(torch.zeros(2, 3, 112, 112)).shape == (2, 2)


def test_export_writes_the_crop_scale_and_a_card_the_models_listing_reads(tmp_path):
    import json

    import onnxruntime as ort

    from maskgate_trainer.pad_net import export_net

    net = PadNet().eval()
    sidecar = export_net(net, tmp_path / "p.onnx", {"seed": 0}, 1.5)
    written = json.loads((tmp_path / "p.json").read_text())
    assert written == sidecar and written["cropScale"] == 1.5 and written["modelId"].startswith("padnet-")
    assert written["provenance"]["card"]["commercialUse"] is False and written["provenance"]["seed"] == 0
    x = np.random.default_rng(0).standard_normal((2, 3, 128, 128)).astype(np.float32)
    got = ort.InferenceSession(str(tmp_path / "p.onnx"), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    assert np.abs(got - net(torch.from_numpy(x)).detach().numpy()).max() <= 1e-5
