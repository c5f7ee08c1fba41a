"""WiSE-FT: weight interpolation and the dev-only choice of alpha."""

from __future__ import annotations

import pytest
import torch

from maskgate_trainer.wise_ft import UNMASKED_ACC_TOLERANCE, choose_alpha, interpolate


def test_interpolation_runs_the_straight_line_and_keeps_integer_buffers_from_the_student():
    a = torch.nn.BatchNorm1d(3)
    b = torch.nn.BatchNorm1d(3)
    with torch.no_grad():
        b.weight.fill_(3.0), b.bias.fill_(-1.0)
    b.num_batches_tracked.fill_(7)
    ta, tb = a.state_dict(), b.state_dict()
    assert torch.equal(interpolate(ta, tb, 0.0)["weight"], ta["weight"])
    assert torch.equal(interpolate(ta, tb, 1.0)["weight"], tb["weight"])
    mid = interpolate(ta, tb, 0.25)
    assert torch.allclose(mid["weight"], torch.full((3,), 1.5)) and torch.allclose(mid["bias"], torch.full((3,), -0.25))
    assert int(mid["num_batches_tracked"]) == 7
    with pytest.raises(ValueError):
        interpolate(ta, {"weight": tb["weight"]}, 0.5)


def _row(umr_mp: float, mr_mp: float, unmasked_acc: float) -> dict:
    return {"UMR-MP": {"fmr100": umr_mp}, "MR-MP": {"fmr100": mr_mp}, "UMR-UMP": {"acc": unmasked_acc}}


def test_alpha_is_chosen_on_masked_errors_within_the_unmasked_accuracy_bar():
    results = {
        0.0: _row(0.050, 0.045, 0.9980),
        0.5: _row(0.040, 0.041, 0.9979),
        0.75: _row(0.038, 0.040, 0.9980 - UNMASKED_ACC_TOLERANCE - 1e-4),  # best masked, loses too much unmasked
        1.0: _row(0.040, 0.039, 0.9970),
    }
    assert choose_alpha(results) == 1.0  # ties on UMR-MP go to the lower MR-MP
    results[1.0] = _row(0.040, 0.041, 0.9970)
    assert choose_alpha(results) == 0.5  # full tie goes to the blend closer to the teacher
