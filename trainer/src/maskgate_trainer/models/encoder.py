"""Stage 1 generative encoder: masked face → intermediate feature map (the generative representation).

Input is the masked face only (N,3,112,112, teacher normalisation): at run time nobody hands the
model an occlusion map, so the map is a training target (decoder head), not an input."""

from __future__ import annotations

import torch
from torch import nn

FEATURE_CHANNELS = 64
FEATURE_SIZE = 28


class ResidualBlock(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.PReLU(ch),
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch),
        )
        self.act = nn.PReLU(ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


class GenerativeEncoder(nn.Module):
    """112 → 56 → 28, then residual blocks at 28x28; output (N, 64, 28, 28)."""

    def __init__(self, width: int = 32, channels: int = FEATURE_CHANNELS, blocks: int = 2) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 4, stride=2, padding=1), nn.PReLU(width),
            nn.Conv2d(width, channels, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(channels), nn.PReLU(channels),
        )
        self.blocks = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.stem(x))
