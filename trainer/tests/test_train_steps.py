"""One optimisation step per stage lowers that stage's loss on a fixed batch."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from maskgate_trainer.losses import critic_loss, distillation_loss, inpainting_l1
from maskgate_trainer.masks import synthesize_mask
from maskgate_trainer.models.critic import Critic
from maskgate_trainer.models.decoder import Inpainter, InpaintingDecoder
from maskgate_trainer.models.encoder import GenerativeEncoder
from maskgate_trainer.models.onnx_net import load_onnx_net, teacher_preprocess_bgr
from maskgate_trainer.models.reformer import EmbeddingHead, G2DReformer, TeacherInitReformer

from .conftest import TEACHER


def batch(faces, n=4):
    masked = [synthesize_mask(f, None, k) for k, f in enumerate(faces[:n])]
    x = torch.from_numpy(teacher_preprocess_bgr(np.stack([m.image for m in masked])))
    y = torch.from_numpy(teacher_preprocess_bgr(faces[:n]))
    occ = torch.from_numpy(np.stack([m.occlusion for m in masked]).astype(np.float32))[:, None]
    return x, y, occ


def test_encoder_step_lowers_inpainting_loss(faces):
    torch.manual_seed(0)
    x, y, occ = batch(faces)
    net = Inpainter(GenerativeEncoder(8, 16, 1), InpaintingDecoder(16, 8))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def loss():
        gen, _ = net(x)
        return inpainting_l1(gen, y, occ)

    before = loss()
    opt.zero_grad()
    before.backward()
    opt.step()
    assert loss().item() < before.item()


def test_critic_step_lowers_critic_loss(faces):
    torch.manual_seed(0)
    x, y, _ = batch(faces)
    critic = Critic(8)
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
    before = critic_loss(critic, y, x)
    opt.zero_grad()
    before.backward()
    opt.step()
    torch.manual_seed(1)
    assert critic(x).mean() - critic(y).mean() < (before - 0).item()  # Wasserstein estimate moved apart


def test_teacher_init_reformer_step_lowers_distillation_loss(faces):
    torch.manual_seed(0)
    x, y, _ = batch(faces)
    teacher = load_onnx_net(TEACHER).eval()
    with torch.no_grad():
        target = teacher(y)
    enc = GenerativeEncoder(8, 16, 1).eval()
    reformer = TeacherInitReformer(load_onnx_net(TEACHER), gen_channels=16)
    reformer.eval()  # the converted trunk has no batch norm; eval keeps the step deterministic
    proj = nn.Linear(512, 512)
    with torch.no_grad():
        proj.weight.copy_(torch.eye(512))
        proj.bias.zero_()
    params = list(reformer.parameters()) + list(proj.parameters())
    opt = torch.optim.Adam(params, lr=1e-4)

    def loss():
        with torch.no_grad():
            f = enc(x)
        s = reformer(x, f)
        return distillation_loss(proj(s), s, target)[0]

    before = loss()
    opt.zero_grad()
    before.backward()
    opt.step()
    assert loss().item() < before.item()


def test_g2d_reformer_step(faces):
    torch.manual_seed(0)
    x, y, _ = batch(faces)
    feat = GenerativeEncoder(8, 16, 1).eval()(x).detach()
    target = torch.randn(4, 512)
    net = G2DReformer(16, 32)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.eval()
    before = F.mse_loss(net(x, feat), target)
    opt.zero_grad()
    before.backward()
    opt.step()
    assert F.mse_loss(net(x, feat), target).item() < before.item()


def test_classifier_step_lowers_cross_entropy():
    torch.manual_seed(0)
    emb = torch.randn(8, 512)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    head, cls = EmbeddingHead(), nn.Linear(512, 4)
    opt = torch.optim.Adam(list(head.parameters()) + list(cls.parameters()), lr=1e-3)
    head.train()
    before = F.cross_entropy(cls(head(emb)), labels)
    opt.zero_grad()
    before.backward()
    opt.step()
    assert F.cross_entropy(cls(head(emb)), labels).item() < before.item()
