"""The three greedy G2D stages: encoder (inpainting, L1 + WGAN-GP), reformer (relational distillation
from the teacher's embedding of the unmasked face), classifier (FC-512 + softmax CE).

Each stage writes `<out_dir>/<stage>.pt` after every epoch; `--resume` continues from it."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from . import distributed as dist_util
from . import runner
from .data import FaceCache, Split, identity_weights, split_identities
from .evaluate import (
    DevImages,
    Embedder,
    PairList,
    build_dev_images,
    evaluate_embedder,
    make_pairs,
    metrics_table,
    plot_results,
    save_json,
    strip_scores,
)
from .losses import critic_loss, distillation_loss, generator_adversarial, inpainting_l1
from .masks import Realism, augment_pair, synthesize_mask
from .models.critic import Critic
from .models.decoder import Inpainter, InpaintingDecoder
from .models.encoder import GenerativeEncoder
from .models.onnx_net import teacher_preprocess_bgr
from .models.reformer import EmbeddingHead, G2DReformer, G2DStudent, TeacherInitReformer
from .models.trunk import load_trunk
from .real_masked import evaluate_real_masked, read_pairs
from .realism_report import measure_realism, realism_table
from .teacher import OnnxEmbedder, Preprocess, TeacherSpec, combine_targets, load_teachers
from .teacher_report import candidate_embedders, measure, real_masked_cache, report_table

REPO_ROOT = Path(__file__).resolve().parents[3]
STAGES = ("encoder", "reformer", "classifier")


class TrainingError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def repo_path(p: str | Path) -> Path:
    p = Path(p)
    return p if p.is_absolute() else REPO_ROOT / p


# ---------------------------------------------------------------- data


@dataclass
class TrainingData:
    cache: FaceCache
    split: Split
    train: np.ndarray  # cache indices used for training
    teacher: np.ndarray  # (N,512) teacher embeddings of the unmasked crops
    teacher_flip: np.ndarray  # same for horizontally flipped crops


def teacher_specs(cfg: dict) -> dict[str, TeacherSpec]:
    return load_teachers(cfg, REPO_ROOT)


def cached_teacher_embeddings(cfg: dict, spec: TeacherSpec, cache: FaceCache, cache_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """One teacher's embeddings of every unmasked crop (and its mirror image), cached beside the crops."""
    paths = cache_dir / f"teacher_{spec.name}.npy", cache_dir / f"teacher_{spec.name}_flip.npy"
    if not paths[0].exists() or not paths[1].exists():
        emb = OnnxEmbedder.for_teacher(spec, num_threads=cfg["run"]["threads"])
        np.save(paths[0], emb.embed(cache.crops, progress=True))
        np.save(paths[1], emb.embed(np.ascontiguousarray(np.asarray(cache.crops)[:, :, ::-1]), progress=True))
    return np.load(paths[0]), np.load(paths[1])


def distillation_targets(cfg: dict, caches: list[tuple[FaceCache, Path]]) -> tuple[np.ndarray, np.ndarray]:
    """The distillation target of every crop (and mirror) of every source: one teacher's embedding
    or the ensemble of `distill.teachers` combined as `distill.combine`."""
    specs = teacher_specs(cfg)
    names = cfg["distill"]["teachers"]
    unknown = [n for n in names if n not in specs]
    if not names or unknown:
        raise TrainingError("BAD_TEACHERS", f"distill.teachers {names} must name configured teachers {list(specs)}")
    plain, flip = [], []
    for name in names:
        per_source = [cached_teacher_embeddings(cfg, specs[name], c, d) for c, d in caches]
        plain.append(np.concatenate([p for p, _ in per_source]))
        flip.append(np.concatenate([f for _, f in per_source]))
    combine = cfg["distill"]["combine"]
    return combine_targets(plain, combine), combine_targets(flip, combine)


def load_training_data(cfg: dict) -> TrainingData:
    """The primary face set (whose held-out identities make the dev pairs) plus every `extra_train`
    set, each with its own identities held out; training indices cover the rest of all of them."""
    d = cfg["data"]
    primary_dir = repo_path(d["cache_dir"])
    sources = [(FaceCache.load(primary_dir), primary_dir, d["dev_identities"])]
    for extra in d["extra_train"]:
        extra_dir = repo_path(extra["cache_dir"])
        sources.append((FaceCache.load(extra_dir), extra_dir, int(extra["dev_identities"])))
    cache = FaceCache.concatenate([c for c, _, _ in sources]) if len(sources) > 1 else sources[0][0]
    split = split_identities(sources[0][0].labels, d["dev_identities"], d["split_seed"])
    train, offset = [split.train], len(sources[0][0])
    for extra_cache, _, held_out in sources[1:]:
        train.append(split_identities(extra_cache.labels, held_out, d["split_seed"]).train + offset)
        offset += len(extra_cache)
    train_idx = np.concatenate(train)
    if d.get("limit_train"):
        train_idx = np.sort(np.random.default_rng(cfg["run"]["seed"]).permutation(train_idx)[: d["limit_train"]])
    t, tf = distillation_targets(cfg, [(c, p) for c, p, _ in sources])
    return TrainingData(cache, split, train_idx, t, tf)


def to_input(batch_rgb: np.ndarray) -> torch.Tensor:
    """(N,112,112,3) uint8 RGB → model input (N,3,112,112) BGR (x-127)/128 (the teacher's convention)."""
    return torch.from_numpy(teacher_preprocess_bgr(batch_rgb))


class MaskedFaceDataset(Dataset):
    """Yields an on-the-fly masked face (or, with probability `unmasked_p`, the plain face), the
    unmasked target, the occlusion map, the teacher's embedding of the unmasked face (mirrored when
    the sample was flipped) and a class label. Seeded by (seed, epoch, index): reproducible, resumable."""

    def __init__(self, data: TrainingData, indices: np.ndarray, aug: dict, seed: int,
                 class_of: dict[int, int] | None = None, unmasked_p: float | None = None) -> None:
        self.data, self.indices, self.aug, self.seed = data, indices, aug, seed
        self.class_of = class_of or {}
        self.unmasked_p = aug.get("unmasked_p", 0.0) if unmasked_p is None else unmasked_p
        self.realism = Realism.from_config(aug.get("realism"))
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, k: int) -> dict[str, Any]:
        i = int(self.indices[k])
        rng = np.random.default_rng([self.seed, self.epoch, i])
        crop = np.asarray(self.data.cache.crops[i])
        sample = synthesize_mask(crop, self.data.cache.keypoints[i], rng, realism=self.realism)
        plain = bool(rng.random() < self.unmasked_p)
        inp = crop if plain else sample.image
        occ = np.zeros_like(sample.occlusion) if plain else sample.occlusion
        (inp, target, occ), flipped = augment_pair([inp, crop, occ], rng, self.aug["max_shift"], self.aug["flip_p"])
        teacher = (self.data.teacher_flip if flipped else self.data.teacher)[i]
        return {
            "input": inp, "target": target, "occlusion": occ.astype(np.float32),
            "teacher": teacher.astype(np.float32), "label": self.class_of.get(int(self.data.cache.labels[i]), -1),
        }


def collate(items: list[dict]) -> dict[str, torch.Tensor]:
    return {
        "input": to_input(np.stack([it["input"] for it in items])),
        "target": to_input(np.stack([it["target"] for it in items])),
        "occlusion": torch.from_numpy(np.stack([it["occlusion"] for it in items]))[:, None],
        "teacher": torch.from_numpy(np.stack([it["teacher"] for it in items])),
        "label": torch.tensor([it["label"] for it in items], dtype=torch.long),
    }


def make_loader(ds: MaskedFaceDataset, batch_size: int, cfg: dict, shuffle_seed: int) -> DataLoader:
    if len(ds) // dist_util.world_size() < batch_size:
        raise TrainingError("TOO_FEW_SAMPLES", f"{len(ds)} samples over {dist_util.world_size()} process(es) "
                            f"do not fill one batch of {batch_size}")
    gen = torch.Generator().manual_seed(shuffle_seed)
    balance = float(cfg["data"]["identity_balance"])
    if balance > 0:
        # With replacement, drawn per process: each rank gets its own seeded share of the epoch.
        weights = identity_weights(ds.data.cache.labels[ds.indices], balance)
        per_rank = len(ds) // dist_util.world_size()
        rank_gen = torch.Generator().manual_seed(shuffle_seed * 1000 + dist_util.rank())
        sampler = WeightedRandomSampler(torch.from_numpy(weights), per_rank, replacement=True, generator=rank_gen)
        return DataLoader(ds, batch_size=batch_size, sampler=sampler, collate_fn=collate,
                          num_workers=cfg["run"]["num_workers"], drop_last=True)
    sampler = dist_util.sampler(ds, shuffle_seed)
    return DataLoader(ds, batch_size=batch_size, shuffle=sampler is None, sampler=sampler, generator=gen,
                      collate_fn=collate, num_workers=cfg["run"]["num_workers"], drop_last=True)


# ---------------------------------------------------------------- model builders


def build_encoder(cfg: dict) -> GenerativeEncoder:
    e = cfg["encoder"]
    return GenerativeEncoder(width=e["width"], channels=e["channels"], blocks=e["blocks"])


def build_reformer(cfg: dict) -> nn.Module:
    r = cfg["reformer"]
    if r["arch"] == "teacher_init":
        specs = teacher_specs(cfg)
        if r["trunk"] not in specs:
            raise TrainingError("BAD_TRUNK", f"reformer.trunk {r['trunk']!r} is not a configured teacher {list(specs)}")
        trunk = load_trunk(specs[r["trunk"]])
        return TeacherInitReformer(trunk, cfg["encoder"]["channels"], r["inject_at"], r["use_generative"])
    if r["arch"] == "g2d":
        return G2DReformer(cfg["encoder"]["channels"])
    raise TrainingError("BAD_ARCH", f"unknown reformer arch {r['arch']!r}")


def uses_encoder(cfg: dict) -> bool:
    return cfg["reformer"]["arch"] == "g2d" or bool(cfg["reformer"]["use_generative"])


def checkpoint_path(cfg: dict, stage: str) -> Path:
    return repo_path(cfg["run"]["out_dir"]) / f"{stage}.pt"


def load_checkpoint(cfg: dict, stage: str, own: bool = False) -> dict:
    """Checkpoint of `stage`: `<stage>.checkpoint` from the config when set (ablations reuse upstream
    stages of another run), else `<out_dir>/<stage>.pt`. `own=True` (resume) always uses out_dir."""
    p = checkpoint_path(cfg, stage)
    if not own and cfg.get(stage, {}).get("checkpoint"):
        p = repo_path(cfg[stage]["checkpoint"])
    if not p.exists():
        raise TrainingError("NO_CHECKPOINT", f"stage {stage!r} has no checkpoint at {p}; train it first")
    return torch.load(p, map_location="cpu", weights_only=False)


def save_checkpoint(cfg: dict, stage: str, state: dict) -> None:
    if dist_util.is_main():
        save_checkpoint_to(checkpoint_path(cfg, stage), state)


def save_checkpoint_to(p: Path, state: dict) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(p)  # atomic: an interrupted save never corrupts the last good checkpoint


def build_student(cfg: dict, stage: str = "classifier") -> G2DStudent:
    """Inference network from the checkpoints of `stage` and the stages before it."""
    encoder = None
    if uses_encoder(cfg):
        encoder = build_encoder(cfg)
        encoder.load_state_dict(load_checkpoint(cfg, "encoder")["encoder"])
    reformer = build_reformer(cfg)
    head = None
    if stage in ("reformer", "classifier"):
        reformer.load_state_dict(load_checkpoint(cfg, "reformer")["reformer"])
    if stage == "classifier":
        ck = load_checkpoint(cfg, "classifier")
        if ck.get("reformer") is not None:  # end-to-end finetuning changed the reformer
            reformer.load_state_dict(ck["reformer"])
        head = EmbeddingHead()
        head.load_state_dict(ck["head"])
    return G2DStudent(encoder, reformer, head).eval()


def torch_embedder(model: nn.Module, batch: int = 128):
    def embed(crops: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for s in range(0, len(crops), batch):
                out.append(model(to_input(np.asarray(crops[s : s + batch]))).numpy())
        return np.concatenate(out)

    return embed


# ---------------------------------------------------------------- helpers


def setup(cfg: dict) -> torch.device:
    torch.set_num_threads(int(cfg["run"]["threads"]))
    torch.manual_seed(cfg["run"]["seed"])
    dist_util.init()
    if cfg["run"]["device"] == "cuda" and torch.cuda.is_available():
        return torch.device("cuda", dist_util.local_rank())
    return torch.device("cpu")


def _autocast(cfg: dict, dev: torch.device):
    """Mixed precision (bfloat16 autocast) when `run.amp` is set: the GPU recipe. bf16 keeps fp32's
    exponent range, so no loss scaling is needed; losses are computed in fp32."""
    return torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bool(cfg["run"].get("amp")))


def _epoch_loader(ds: MaskedFaceDataset, batch_size: int, cfg: dict, seed: int):
    """Loader factory for the epoch runner: re-seeds the dataset's masks and the shuffle per epoch."""

    def make(epoch: int) -> DataLoader:
        ds.set_epoch(epoch)
        return make_loader(ds, batch_size, cfg, seed + epoch)

    return make


def _resume_state(cfg: dict, stage: str, resume: bool) -> dict | None:
    if not resume:
        return None
    return load_checkpoint(cfg, stage, own=True)


def _dev_pairs(cfg: dict, cache: FaceCache, split: Split) -> PairList:
    return make_pairs(cache.labels, split.dev, cfg["data"]["pair_seed"],
                      cfg["data"]["max_genuine_per_identity"], cfg["data"]["impostor_pairs"])


def _dev(cfg: dict, cache: FaceCache, split: Split) -> tuple[PairList, DevImages]:
    pairs = _dev_pairs(cfg, cache, split)
    return pairs, build_dev_images(cache.crops, cache.keypoints, pairs, cfg["data"]["mask_seed"])


def onnx_student(cfg: dict, onnx_path: str | Path) -> tuple[str, Embedder]:
    """An exported model as the daemon loads it: preprocessing from its sidecar JSON."""
    side = json.loads(Path(onnx_path).with_suffix(".json").read_text())
    model = OnnxEmbedder(onnx_path, Preprocess(side["channelOrder"] == "BGR", side["mean"][0], side["std"][0]),
                         num_threads=cfg["run"]["threads"])
    return side["modelId"], model.embed


def evaluate_run(cfg: dict, stage: str, data: TrainingData | None = None, out_dir: Path | None = None,
                 onnx_path: str | Path | None = None, with_teachers: bool = True) -> dict:
    """Student (from `stage`'s checkpoints, or an exported ONNX file with its sidecar JSON) and teacher
    on the dev pairs; writes metrics.json, metrics.md and plots."""
    data = data or load_training_data(cfg)
    out_dir = out_dir or repo_path(cfg["run"]["out_dir"]) / f"eval_{stage}"
    pairs, dev = _dev(cfg, data.cache, data.split)
    if onnx_path is not None:
        model_id, embed = onnx_student(cfg, onnx_path)
        name = f"student ({model_id}.onnx)"
    else:
        name, embed = f"student ({stage})", torch_embedder(build_student(cfg, stage), cfg["run"]["eval_batch"])
    t0 = time.time()
    results = {name: evaluate_embedder(embed, dev, pairs)}
    seconds = time.time() - t0
    embedders = {name: embed}
    for spec in teacher_specs(cfg).values() if with_teachers else ():
        if spec.available:  # an absent teacher (e.g. non-commercial weights not installed) is skipped, not faked
            embedders[f"teacher ({spec.name})"] = OnnxEmbedder.for_teacher(spec, cfg["run"]["threads"]).embed
            results[f"teacher ({spec.name})"] = evaluate_embedder(embedders[f"teacher ({spec.name})"], dev, pairs)
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_results(results, pairs.genuine, out_dir)
    summary = strip_scores(results)
    real = real_masked_cache(cfg, repo_path)
    if real is not None:
        real_pairs = read_pairs(real[1], real[0])
        for model_name, model_embed in embedders.items():
            summary[model_name]["MFR2"] = evaluate_real_masked(model_embed, real[0], real_pairs)
    summary["_meta"] = {"stage": stage, "pairs": int(len(pairs.genuine)), "genuine": int(pairs.genuine.sum()),
                        "devImages": int(len(dev.index)), "devIdentities": len(data.split.dev_identities),
                        "studentEmbedImagesPerSecond": round(3 * len(dev.index) / seconds, 1)}
    save_json(summary, out_dir / "metrics.json")
    table = metrics_table(results)
    (out_dir / "metrics.md").write_text(table + "\n" + (("\n" + report_table(summary) + "\n") if real else ""))
    print(table)
    return summary


def dev_pair_list(cfg: dict) -> tuple[FaceCache, PairList]:
    """The primary set's crops and development pairs, without loading training targets."""
    setup(cfg)
    cache = FaceCache.load(repo_path(cfg["data"]["cache_dir"]))
    split = split_identities(cache.labels, cfg["data"]["dev_identities"], cfg["data"]["split_seed"])
    return cache, _dev_pairs(cfg, cache, split)


def _dev_only(cfg: dict) -> tuple[FaceCache, PairList, DevImages]:
    cache, pairs = dev_pair_list(cfg)
    return cache, pairs, build_dev_images(cache.crops, cache.keypoints, pairs, cfg["data"]["mask_seed"])


def _write_table(table: str, path: Path) -> None:
    path.write_text(table + "\n")
    print(table)


def measure_teachers(cfg: dict, out_dir: Path | None = None) -> dict:
    """Every configured teacher that is present, and their ensembles, on the dev protocols and MFR2."""
    _, pairs, dev = _dev_only(cfg)
    out_dir = out_dir or repo_path(cfg["run"]["out_dir"]) / "teachers"
    report = measure(cfg, candidate_embedders(cfg, teacher_specs(cfg)), pairs, dev, out_dir, repo_path)
    _write_table(report_table(report), out_dir / "teachers.md")
    return report


def measure_realism_additions(cfg: dict, out_dir: Path | None = None) -> dict:
    """Every present teacher's UMR-MP errors with each mask-realism addition (realism_report)."""
    cache, pairs, dev = _dev_only(cfg)
    results = {f"teacher {spec.name}": measure_realism(OnnxEmbedder.for_teacher(spec, cfg["run"]["threads"]).embed,
                                                       cache.crops, cache.keypoints, dev, pairs, cfg["data"]["mask_seed"])
               for spec in teacher_specs(cfg).values() if spec.available}
    out_dir = out_dir or repo_path(cfg["run"]["out_dir"]) / "realism"
    out_dir.mkdir(parents=True, exist_ok=True)
    save_json(results, out_dir / "realism.json")
    _write_table(realism_table(results), out_dir / "realism.md")
    return results


# ---------------------------------------------------------------- stage 1


def train_encoder(cfg: dict, resume: bool = False, callbacks: Sequence[runner.Callback] = ()) -> dict:
    dev = setup(cfg)
    data = load_training_data(cfg)
    e = cfg["encoder"]
    # Inpainting always sees a mask: the unmasked share only matters for the discriminative stages.
    ds = MaskedFaceDataset(data, data.train, cfg["augment"], cfg["run"]["seed"], unmasked_p=0.0)
    inpainter = Inpainter(build_encoder(cfg), InpaintingDecoder(e["channels"], e["decoder_width"])).to(dev)
    critic = Critic().to(dev)
    opt_g = torch.optim.Adam(inpainter.parameters(), lr=e["lr"], betas=(0.5, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=e["critic_lr"], betas=(0.5, 0.9))
    start, history = 0, []
    if (st := _resume_state(cfg, "encoder", resume)) is not None:
        inpainter.encoder.load_state_dict(st["encoder"]), inpainter.decoder.load_state_dict(st["decoder"])
        critic.load_state_dict(st["critic"]), opt_g.load_state_dict(st["opt_g"]), opt_c.load_state_dict(st["opt_c"])
        start, history = st["epoch"] + 1, st.get("history", [])
    # The critic stays unwrapped: DDP does not support the double backward of the gradient penalty,
    # so its gradients are averaged by hand.
    g_model, c_model = dist_util.wrap(inpainter, dev), critic

    def step(b: dict, _global_step: int) -> dict[str, float]:
        x, y, m = b["input"].to(dev), b["target"].to(dev), b["occlusion"].to(dev)
        gen, occ_logits = g_model(x)
        done = Inpainter.complete(x, gen, m)
        opt_c.zero_grad(set_to_none=True)
        lc = critic_loss(c_model, y, done, e["gp_weight"])
        lc.backward()
        if dist_util.world_size() > 1:
            dist_util.allreduce_grads(critic)
        opt_c.step()
        opt_g.zero_grad(set_to_none=True)
        l1 = inpainting_l1(gen, y, m, e["hole_weight"])
        adv = generator_adversarial(c_model, done)
        seg = F.binary_cross_entropy_with_logits(occ_logits, m)
        (l1 + 0.1 * seg + e["adv_weight"] * adv).backward()
        opt_g.step()
        return {"images": len(x), "l1": float(l1), "adv": float(adv), "critic": float(lc)}

    def save(epoch: int, history: list[dict]) -> None:
        save_checkpoint(cfg, "encoder", {
            "stage": "encoder", "epoch": epoch, "config": cfg, "encoder": inpainter.encoder.state_dict(),
            "decoder": inpainter.decoder.state_dict(), "critic": critic.state_dict(),
            "opt_g": opt_g.state_dict(), "opt_c": opt_c.state_dict(), "history": history})

    history = runner.run(runner.EpochLoop(
        "encoder", e["epochs"], _epoch_loader(ds, e["batch_size"], cfg, cfg["run"]["seed"]), step,
        lambda: (inpainter.train(), critic.train()),
        [runner.ProgressLogging("encoder", e["epochs"], ("l1", "critic")), runner.Checkpointing(save), *callbacks]),
        start, history)
    if dist_util.is_main():
        _save_inpainting_examples(cfg, data, inpainter)
    return {"history": history}


def _save_inpainting_examples(cfg: dict, data: TrainingData, inpainter: Inpainter) -> None:
    import cv2

    inpainter.eval()
    idx = data.split.dev[:8]
    ds = MaskedFaceDataset(data, idx, {**cfg["augment"], "flip_p": 0.0, "max_shift": 0}, 99, unmasked_p=0.0)
    b = collate([ds[k] for k in range(len(idx))])
    with torch.no_grad():
        gen, _ = inpainter(b["input"])
    done = Inpainter.complete(b["input"], gen, b["occlusion"])
    rows = [((t.permute(0, 2, 3, 1).numpy() * 128 + 127).clip(0, 255).astype(np.uint8)) for t in (b["input"], done, b["target"])]
    grid = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)  # BGR already
    out = repo_path(cfg["run"]["out_dir"]) / "inpainting_examples.png"
    cv2.imwrite(str(out), grid)


# ---------------------------------------------------------------- stage 2


def _frozen_encoder(cfg: dict, dev: torch.device) -> nn.Module | None:
    if not uses_encoder(cfg):
        return None
    enc = build_encoder(cfg)
    enc.load_state_dict(load_checkpoint(cfg, "encoder")["encoder"])
    enc.eval().requires_grad_(False)
    return enc.to(dev)


def _cosine_lr(opt: torch.optim.Optimizer, base: list[float], step: int, total: int, warmup: int = 50) -> None:
    f = (step + 1) / warmup if step < warmup else 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(total - warmup, 1)))
    for g, lr in zip(opt.param_groups, base, strict=True):
        g["lr"] = lr * f


def train_reformer(cfg: dict, resume: bool = False, callbacks: Sequence[runner.Callback] = ()) -> dict:
    dev = setup(cfg)
    data = load_training_data(cfg)
    r = cfg["reformer"]
    encoder = _frozen_encoder(cfg, dev)
    reformer = build_reformer(cfg).to(dev)
    projection = nn.Linear(512, data.teacher.shape[1]).to(dev)  # the "linear map to the teacher dim"
    with torch.no_grad():
        projection.weight.copy_(torch.eye(512, data.teacher.shape[1]))
        projection.bias.zero_()
    class_of = _classes(data)
    ce_head = nn.Linear(512, len(class_of)).to(dev) if r["w_ce"] > 0 else None
    fast = list(projection.parameters()) + (list(ce_head.parameters()) if ce_head is not None else [])
    if isinstance(reformer, TeacherInitReformer):
        slow = list(reformer.trunk.parameters())
        fast = fast + (list(reformer.fuse.parameters()) if reformer.fuse is not None else [])
        groups = [{"params": slow, "lr": r["lr"]}, {"params": fast, "lr": r["lr"] * r["head_lr_mult"]}]
    else:  # from scratch: one learning rate for everything
        groups = [{"params": list(reformer.parameters()) + fast, "lr": r["lr"] * r["head_lr_mult"]}]
    opt = torch.optim.AdamW(groups, weight_decay=r["weight_decay"])
    base_lrs = [g["lr"] for g in groups]
    ds = MaskedFaceDataset(data, data.train, cfg["augment"], cfg["run"]["seed"] + 1, class_of)
    steps_per_epoch = len(ds) // r["batch_size"] // dist_util.world_size()
    total = steps_per_epoch * r["epochs"]
    start = 0
    history: list[dict] = []
    if (st := _resume_state(cfg, "reformer", resume)) is not None:
        reformer.load_state_dict(st["reformer"]), projection.load_state_dict(st["projection"]), opt.load_state_dict(st["opt"])
        if ce_head is not None and st.get("ce_head"):
            ce_head.load_state_dict(st["ce_head"])
        start, history = st["epoch"] + 1, st["history"]
    model = dist_util.wrap(reformer, dev)

    def step(b: dict, global_step: int) -> dict[str, float]:
        _cosine_lr(opt, base_lrs, global_step, total, warmup=min(50, max(total // 10, 1)))  # short runs warm up for 10 %
        x, t = b["input"].to(dev), b["teacher"].to(dev)
        with torch.no_grad():
            feat = encoder(x) if encoder is not None else None
        with _autocast(cfg, dev):
            s = model(x, feat)
        s = s.float()  # losses in fp32 (relational terms divide by small distances)
        loss, parts = distillation_loss(projection(s), s, t, r["w_distance"], r["w_angle"], r["w_mse"])
        ce = torch.zeros(())
        if ce_head is not None:
            ce = F.cross_entropy(ce_head(F.normalize(s) * 16.0), b["label"].to(dev), ignore_index=-1)
            loss = loss + r["w_ce"] * ce
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if dist_util.world_size() > 1:
            dist_util.allreduce_grads(projection)
            if ce_head is not None:
                dist_util.allreduce_grads(ce_head)
        opt.step()
        return {"images": len(x), "loss": float(loss), "ce": float(ce), **parts}

    def save(epoch: int, history: list[dict]) -> None:
        save_checkpoint(cfg, "reformer", {
            "stage": "reformer", "epoch": epoch, "config": cfg, "reformer": reformer.state_dict(),
            "projection": projection.state_dict(), "ce_head": ce_head.state_dict() if ce_head is not None else None,
            "opt": opt.state_dict(), "history": history})

    history = runner.run(runner.EpochLoop(
        "reformer", r["epochs"], _epoch_loader(ds, r["batch_size"], cfg, cfg["run"]["seed"] + 100), step, reformer.train,
        [runner.ProgressLogging("reformer", r["epochs"], ("loss", "mse")), runner.Checkpointing(save), *callbacks]),
        start, history)
    return {"history": history}


def _classes(data: TrainingData) -> dict[int, int]:
    """Training identities with >= 2 images → contiguous class ids."""
    counts = np.bincount(data.cache.labels[data.train], minlength=len(data.cache.identities))
    return {int(i): k for k, i in enumerate(np.flatnonzero(counts >= 2))}


# ---------------------------------------------------------------- stage 3


def train_classifier(cfg: dict, resume: bool = False, callbacks: Sequence[runner.Callback] = ()) -> dict:
    dev = setup(cfg)
    data = load_training_data(cfg)
    c = cfg["classifier"]
    encoder = _frozen_encoder(cfg, dev)
    reformer = build_reformer(cfg)
    reformer.load_state_dict(load_checkpoint(cfg, "reformer")["reformer"])
    reformer.to(dev)
    class_of = _classes(data)
    idx = np.array([i for i in data.train if int(data.cache.labels[i]) in class_of])
    head = EmbeddingHead().to(dev)
    classifier = nn.Linear(512, len(class_of)).to(dev)
    groups = [{"params": list(head.parameters()) + list(classifier.parameters()), "lr": c["lr"]}]
    if c["end_to_end"]:
        groups.append({"params": list(reformer.parameters()), "lr": c["backbone_lr"]})
    else:
        reformer.eval().requires_grad_(False)
    opt = torch.optim.AdamW(groups, weight_decay=5e-4)
    base_lrs = [g["lr"] for g in groups]
    ds = MaskedFaceDataset(data, idx, cfg["augment"], cfg["run"]["seed"] + 2, class_of)
    steps_per_epoch = len(ds) // c["batch_size"] // dist_util.world_size()
    total = steps_per_epoch * c["epochs"]
    start, history = 0, []
    if (st := _resume_state(cfg, "classifier", resume)) is not None:
        head.load_state_dict(st["head"]), classifier.load_state_dict(st["classifier"]), opt.load_state_dict(st["opt"])
        if st.get("reformer") is not None:
            reformer.load_state_dict(st["reformer"])
        start, history = st["epoch"] + 1, st["history"]
    trainable = nn.ModuleDict({"head": head, "classifier": classifier, **({"reformer": reformer} if c["end_to_end"] else {})})
    trainable.to(dev)  # called piecewise, so gradients are averaged by hand under DDP (allreduce_grads)

    def train_mode() -> None:
        head.train(), classifier.train()
        if c["end_to_end"]:
            reformer.train()

    def step(b: dict, global_step: int) -> dict[str, float]:
        _cosine_lr(opt, base_lrs, global_step, total, warmup=10)
        x, y = b["input"].to(dev), b["label"].to(dev)
        with torch.no_grad():
            feat = encoder(x) if encoder is not None else None
        with torch.set_grad_enabled(c["end_to_end"]), _autocast(cfg, dev):
            s = reformer(x, feat)
        logits = classifier(head(s.float()))
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if dist_util.world_size() > 1:
            dist_util.allreduce_grads(trainable)
        opt.step()
        return {"images": len(x), "ce": float(loss), "trainAcc": float((logits.argmax(1) == y).float().mean())}

    def save(epoch: int, history: list[dict]) -> None:
        save_checkpoint(cfg, "classifier", {
            "stage": "classifier", "epoch": epoch, "config": cfg, "head": head.state_dict(),
            "classifier": classifier.state_dict(), "reformer": reformer.state_dict() if c["end_to_end"] else None,
            "opt": opt.state_dict(), "history": history, "classes": len(class_of)})

    history = runner.run(runner.EpochLoop(
        "classifier", c["epochs"], _epoch_loader(ds, c["batch_size"], cfg, cfg["run"]["seed"] + 200), step, train_mode,
        [runner.ProgressLogging("classifier", c["epochs"], ("ce", "trainAcc")), runner.Checkpointing(save), *callbacks]),
        start, history)
    return {"history": history}


def train_stage(cfg: dict, stage: str, resume: bool = False, evaluate: bool = True) -> dict:
    if stage not in STAGES:
        raise TrainingError("BAD_STAGE", f"stage must be one of {STAGES}")
    t0 = time.time()
    fn = {"encoder": train_encoder, "reformer": train_reformer, "classifier": train_classifier}[stage]
    verification = runner.Verification(lambda: evaluate_run(cfg, stage))
    result = fn(cfg, resume, [verification] if evaluate and stage in ("reformer", "classifier") else [])
    result["seconds"] = round(time.time() - t0, 1)
    if verification.result is not None:
        result["metrics"] = verification.result
    if dist_util.is_main():
        out = repo_path(cfg["run"]["out_dir"])
        save_json(result, out / f"{stage}_history.json")
        (out / "config.json").write_text(json.dumps(cfg, indent=1))
    dist_util.barrier()
    return result


def wise_ft_run(cfg: dict, alphas: list[float], out_dir: Path | None = None) -> dict:
    """WiSE-FT sweep between the teacher-initialised reformer and its fine-tuned checkpoint (`wise_ft.py`):
    every alpha on the dev pairs and MFR2, alpha chosen on the dev pairs, the chosen blend saved as
    `<out>/reformer.pt` (export it with `--set reformer.checkpoint=<out>/reformer.pt`)."""
    from . import wise_ft

    setup(cfg)
    out_dir = out_dir or repo_path(cfg["run"]["out_dir"]) / "wise_ft"
    student = build_student(cfg, "reformer")
    tuned = {k: v.clone() for k, v in student.reformer.state_dict().items()}
    start = build_reformer(cfg).state_dict()  # the teacher's own network (fusion conv zero): alpha = 0

    def embedder_for(alpha: float):
        student.reformer.load_state_dict(wise_ft.interpolate(start, tuned, alpha))
        return torch_embedder(student.eval(), cfg["run"]["eval_batch"])

    cache, pairs, dev = _dev_only(cfg)
    real = real_masked_cache(cfg, repo_path)
    real_args = (real[0], read_pairs(real[1], real[0])) if real is not None else None
    results = wise_ft.sweep(embedder_for, alphas, dev, pairs, real_args, out_dir)
    chosen = wise_ft.choose_alpha(results)
    save_checkpoint_to(out_dir / "reformer.pt", {"stage": "reformer", "epoch": 0, "config": cfg, "alpha": chosen,
                                                  "reformer": wise_ft.interpolate(start, tuned, chosen), "history": []})
    # In the shape `export --metrics` reads for the model card: the chosen blend as the student.
    save_json({f"student (WiSE-FT alpha {chosen:.2f})": results[chosen], "teacher (alpha 0)": results[0.0]}, out_dir / "metrics.json")
    _write_table(wise_ft.table(results, chosen), out_dir / "wise_ft.md")
    return {"chosen": chosen, "results": results}
