"""DistributedDataParallel plumbing. Everything is a no-op unless launched by torchrun (WORLD_SIZE>1)."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import Dataset, DistributedSampler


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def init() -> None:
    if world_size() > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank())


def is_main() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def sampler(ds: Dataset, seed: int) -> DistributedSampler | None:
    return DistributedSampler(ds, shuffle=True, seed=seed) if world_size() > 1 else None


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """DDP-wrap a trainable model under torchrun, else return it unchanged (already on `device`)."""
    model.to(device)
    if world_size() > 1 and any(p.requires_grad for p in model.parameters()):
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)
    return model


def allreduce_grads(model: nn.Module) -> None:
    """Average gradients of a module that is called piecewise (not through its DDP wrapper)."""
    n = world_size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= n
