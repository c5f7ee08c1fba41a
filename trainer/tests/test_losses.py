"""Each loss against values computed by hand (explicit loops / closed forms), not by the implementation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from maskgate_trainer.losses import (
    critic_loss,
    distillation_loss,
    generator_adversarial,
    gradient_penalty,
    inpainting_l1,
    rkd_angle,
    rkd_distance,
)


def huber(d: float) -> float:
    return 0.5 * d * d if abs(d) < 1 else abs(d) - 0.5


def test_rkd_distance_hand_computed():
    t = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    s = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    # teacher distances 1, 1, sqrt2 (mean over the 6 ordered off-diagonal pairs = (2+sqrt2)/3)
    tm, sm = (2 + math.sqrt(2)) / 3, (3 + math.sqrt(5)) / 3
    td = {(0, 1): 1 / tm, (0, 2): 1 / tm, (1, 2): math.sqrt(2) / tm}
    sd = {(0, 1): 2 / sm, (0, 2): 1 / sm, (1, 2): math.sqrt(5) / sm}
    want = sum(huber(sd[k] - td[k]) for k in td) * 2 / 6
    assert rkd_distance(s, t).item() == pytest.approx(want, abs=1e-6)
    assert rkd_distance(t * 3.0, t).item() == pytest.approx(0.0, abs=1e-7)  # scale invariant


def test_rkd_angle_hand_computed():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(4, 3))
    s = rng.normal(size=(4, 3))

    def cosines(x):
        out = []
        for j, i, k in itertools.product(range(4), repeat=3):
            a, b = x[i] - x[j], x[k] - x[j]
            na, nb = np.linalg.norm(a), np.linalg.norm(b)
            out.append(0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb)))
        return np.array(out)

    want = np.mean([huber(d) for d in cosines(s) - cosines(t)])
    got = rkd_angle(torch.tensor(s, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)).item()
    assert got == pytest.approx(want, abs=1e-9)


class Linear(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = torch.tensor(w, dtype=torch.float32)

    def forward(self, x):
        return (x.flatten(1) * self.w).sum(1)


def test_gradient_penalty_of_linear_critic():
    # f(x) = w.x has gradient w everywhere: GP = (|w| - 1)^2 = (5 - 1)^2 = 16.
    critic = Linear([3.0, 4.0])
    real, fake = torch.tensor([[1.0, 2.0]]), torch.tensor([[-1.0, 0.5]])
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(16.0)
    # critic loss = f(fake) - f(real) + 10*GP = (-3+2) - (3+8) + 160 = 148
    assert critic_loss(critic, real, fake, 10.0).item() == pytest.approx(148.0)
    assert generator_adversarial(critic, fake).item() == pytest.approx(1.0)


def test_gradient_penalty_uses_the_interpolate():
    class Square(nn.Module):
        def forward(self, x):
            return (x.flatten(1) ** 2).sum(1)

    # grad at x_hat = 2 x_hat; with eps = 0.5, x_hat = (real+fake)/2 = (1.5, 0): |grad| = 3, GP = 4.
    real, fake = torch.tensor([[2.0, 1.0]]).view(1, 2, 1, 1), torch.tensor([[1.0, -1.0]]).view(1, 2, 1, 1)
    gp = gradient_penalty(Square(), real, fake, eps=torch.full((1, 1, 1, 1), 0.5))
    assert gp.item() == pytest.approx(4.0)


def test_inpainting_l1_weights_the_hole():
    gen = torch.zeros(1, 1, 1, 2)
    target = torch.tensor([[[[1.0, 2.0]]]])
    occ = torch.tensor([[[[0.0, 1.0]]]])
    # weights 1 and 6: (1*1 + 6*2)/2 = 6.5
    assert inpainting_l1(gen, target, occ, 6.0).item() == pytest.approx(6.5)


def test_distillation_total_is_weighted_sum():
    torch.manual_seed(0)
    s, t = torch.randn(5, 8), torch.randn(5, 8)
    p = s * 0.5
    total, parts = distillation_loss(p, s, t, 0.01, 0.02)
    want = ((p - t) ** 2).mean() + 0.01 * rkd_distance(s, t) + 0.02 * rkd_angle(s, t)
    assert total.item() == pytest.approx(want.item(), rel=1e-6)
    assert parts["mse"] == pytest.approx(((p - t) ** 2).mean().item(), rel=1e-6)
