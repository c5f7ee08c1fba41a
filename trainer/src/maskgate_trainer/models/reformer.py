"""Stage 2 discriminative reformers and the full student network.

- `TeacherInitReformer` (shipped): the teacher's MobileFaceNet trunk, initialised from fr_feature,
  with the frozen generative feature map fused into its 28x28 stage through one zero-initialised
  conv layer (so training starts exactly at the teacher and only learns what helps). Its residual
  bottlenecks, global depthwise pooling and FC-512 (1x1 conv) are the reformer's residual blocks,
  pooling and FC of the G2D recipe, sized by the teacher.
- `G2DReformer`: the paper-literal reformer (one conv + 4 residual blocks + pool + FC-512) on the
  generative feature map, trained from scratch; kept for the ablation table.
"""

from __future__ import annotations

import torch
from torch import nn

from .encoder import ResidualBlock
from .onnx_net import OnnxConvNet

# Output tensor of fr_feature's last 28x28 residual add (64 channels): where generative features join.
DEFAULT_INJECT_AT = "395"


class TeacherInitReformer(nn.Module):
    def __init__(self, trunk: nn.Module, gen_channels: int = 64, inject_at: str = DEFAULT_INJECT_AT,
                 use_generative: bool = True) -> None:
        super().__init__()
        self.trunk = trunk
        self.inject_at = inject_at
        self.use_generative = use_generative
        self.fuse: nn.Conv2d | None = None
        if use_generative:
            if not isinstance(trunk, OnnxConvNet):
                raise ValueError("generative features can only be fused into a plain conv trunk (fr_feature)")
            target_ch = trunk.feature_shapes()[inject_at][0]
            self.fuse = nn.Conv2d(gen_channels, target_ch, 3, padding=1)
            nn.init.zeros_(self.fuse.weight)
            nn.init.zeros_(self.fuse.bias)

    def forward(self, x: torch.Tensor, gen_feat: torch.Tensor | None) -> torch.Tensor:
        if self.fuse is not None and gen_feat is not None:
            return self.trunk(x, {self.inject_at: self.fuse(gen_feat)})
        return self.trunk(x)


class G2DReformer(nn.Module):
    def __init__(self, gen_channels: int = 64, width: int = 128, dim: int = 512) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(gen_channels, width, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.PReLU(width))
        self.blocks = nn.Sequential(*[ResidualBlock(width) for _ in range(4)])
        self.fc = nn.Sequential(nn.Linear(width, dim), nn.BatchNorm1d(dim))

    def forward(self, x: torch.Tensor, gen_feat: torch.Tensor | None) -> torch.Tensor:
        if gen_feat is None:
            raise ValueError("G2DReformer needs the generative feature map")
        h = self.blocks(self.conv(gen_feat))
        return self.fc(h.mean(dim=(2, 3)))


class EmbeddingHead(nn.Module):
    """Stage 3: FC-512 embedding layer; the softmax classifier sits on top of it during training."""

    def __init__(self, dim: int = 512) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.fc(x))


class G2DStudent(nn.Module):
    """Full inference network: (N,3,112,112) BGR (x-127)/128 → (N,512) embedding (L2-normalised when
    `normalise`). The encoder may be absent (ablation without the generative encoder)."""

    def __init__(self, encoder: nn.Module | None, reformer: nn.Module, head: EmbeddingHead | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.reformer = reformer
        self.head = head

    def forward(self, x: torch.Tensor, normalise: bool = False) -> torch.Tensor:
        feat = self.encoder(x) if self.encoder is not None else None
        emb = self.reformer(x, feat)
        if self.head is not None:
            emb = self.head(emb)
        if normalise:
            emb = emb / emb.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return emb
