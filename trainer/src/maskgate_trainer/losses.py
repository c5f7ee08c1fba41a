"""Losses of the three G2D stages."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def inpainting_l1(generated: torch.Tensor, target: torch.Tensor, occlusion: torch.Tensor, hole_weight: float = 6.0) -> torch.Tensor:
    """Pixel L1 with the hole weighted up (the visible part is easy to copy)."""
    w = 1.0 + (hole_weight - 1.0) * occlusion
    return (w * (generated - target).abs()).mean()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP: E[(||grad_x critic(x_hat)||_2 - 1)^2] on random interpolates x_hat = eps*real + (1-eps)*fake."""
    if eps is None:
        eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def critic_loss(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, gp_weight: float = 10.0) -> torch.Tensor:
    fake = fake.detach()
    return critic(fake).mean() - critic(real).mean() + gp_weight * gradient_penalty(critic, real, fake)


def generator_adversarial(critic: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    return -critic(fake).mean()


def _pairwise_distances(x: torch.Tensor) -> torch.Tensor:
    sq = (x.unsqueeze(0) - x.unsqueeze(1)).pow(2).sum(-1)
    return sq.clamp_min(1e-12).sqrt() * (1 - torch.eye(x.shape[0], device=x.device, dtype=x.dtype))


def rkd_distance(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Huber (smooth-L1) between pairwise distances, each normalised by its mean off-diagonal distance."""
    n = student.shape[0]
    off = ~torch.eye(n, dtype=torch.bool, device=student.device)
    with torch.no_grad():
        td = _pairwise_distances(teacher)
        td = td / td[off].mean()
    sd = _pairwise_distances(student)
    sd = sd / sd[off].mean()
    return F.smooth_l1_loss(sd[off], td[off])


def _angles(x: torch.Tensor) -> torch.Tensor:
    """cos of angle at vertex j between i and k for all (i,j,k): <e_ij, e_kj>, e = unit difference."""
    diff = x.unsqueeze(0) - x.unsqueeze(1)  # diff[j, i] = x_i - x_j
    unit = F.normalize(diff, p=2, dim=2)
    return torch.bmm(unit, unit.transpose(1, 2)).reshape(-1)


def rkd_angle(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Huber between the angle (cosine) every triplet forms, student vs teacher (Park et al. 2019)."""
    with torch.no_grad():
        ta = _angles(teacher)
    return F.smooth_l1_loss(_angles(student), ta)


def distillation_loss(projected: torch.Tensor, student: torch.Tensor, teacher: torch.Tensor,
                      w_distance: float = 0.01, w_angle: float = 0.02, w_mse: float = 1.0) -> tuple[torch.Tensor, dict[str, float]]:
    """First-order MSE(linear_map(student), teacher) + relational RKD distance and angle terms."""
    mse = F.mse_loss(projected, teacher)
    d = rkd_distance(student, teacher)
    a = rkd_angle(student, teacher)
    total = w_mse * mse + w_distance * d + w_angle * a
    return total, {"mse": float(mse), "rkd_d": float(d), "rkd_a": float(a)}
