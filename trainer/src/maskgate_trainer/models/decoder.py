"""Stage 1 decoder: generative feature map → inpainted face (3 channels, tanh) + occlusion logits."""

from __future__ import annotations

import torch
from torch import nn


class InpaintingDecoder(nn.Module):
    def __init__(self, in_channels: int = 64, width: int = 48) -> None:
        super().__init__()
        self.up = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(in_channels, width, 3, padding=1), nn.PReLU(width),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(width, width // 2, 3, padding=1), nn.PReLU(width // 2),
        )
        self.rgb = nn.Conv2d(width // 2, 3, 3, padding=1)
        self.occ = nn.Conv2d(width // 2, 1, 3, padding=1)

    def forward(self, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.up(feat)
        return torch.tanh(self.rgb(h)), self.occ(h)


class Inpainter(nn.Module):
    """Encoder + decoder; `complete` keeps the visible pixels and takes the generated ones in the hole."""

    def __init__(self, encoder: nn.Module, decoder: InpaintingDecoder) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, masked: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decoder(self.encoder(masked))

    @staticmethod
    def complete(masked: torch.Tensor, generated: torch.Tensor, occlusion: torch.Tensor) -> torch.Tensor:
        return masked * (1 - occlusion) + generated * occlusion
