"""`python -m maskgate_trainer {prepare,train,eval,export,masks-sheet,pad-net,mask-classifier} ...`"""

from __future__ import annotations

import argparse
import json
import sys

from .config import ConfigError, load_config


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m maskgate_trainer", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--config", required=True, help="YAML config, e.g. trainer/configs/cpu_small.yaml")
        sp.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override a config value")

    sp = sub.add_parser("prepare", help="detect + align the face folders once into the crop cache, then cache teacher embeddings")
    with_config(sp)
    sp.add_argument("--limit", type=int, default=None, help="only the first N images (smoke runs)")
    sp.add_argument("--force", action="store_true", help="rebuild crop caches that already exist")
    sp = sub.add_parser("train", help="train one stage")
    with_config(sp)
    sp.add_argument("--stage", required=True, choices=["encoder", "reformer", "classifier"])
    sp.add_argument("--resume", action="store_true", help="continue from <out_dir>/<stage>.pt")
    sp.add_argument("--no-eval", action="store_true", help="skip the dev evaluation after the stage")
    sp = sub.add_parser("eval", help="student vs teacher on the dev pairs (metrics.json, metrics.md, roc.png, scores.png)")
    with_config(sp)
    sp.add_argument("--stage", default="classifier", choices=["reformer", "classifier"], help="which checkpoint's embedding")
    sp.add_argument("--out", default=None, help="output directory (default <out_dir>/eval_<stage>)")
    sp.add_argument("--onnx", default=None, help="evaluate this exported model (sidecar JSON beside it) instead")
    sp.add_argument("--student-only", action="store_true",
                    help="skip the teachers (the `teachers` command measures them on the same pairs)")
    sp = sub.add_parser("teachers", help="measure every configured teacher and their ensembles on the dev protocols and MFR2")
    with_config(sp)
    sp.add_argument("--out", default=None, help="output directory (default <out_dir>/teachers)")
    sp = sub.add_parser("realism", help="each mask-realism addition's effect on every teacher's UMR-MP errors (dev pairs)")
    with_config(sp)
    sp.add_argument("--out", default=None, help="output directory (default <out_dir>/realism)")
    sp = sub.add_parser("fit-head",
                        help="CPU-sized student: frozen teacher trunk + closed-form distilled linear head, exported and evaluated")
    with_config(sp)
    sp.add_argument("--out", required=True, help="ONNX path to write (sidecar JSON beside it)")
    sp.add_argument("--no-eval", action="store_true", help="skip the dev evaluation")
    sp = sub.add_parser("export", help="export the student to ONNX + sidecar JSON")
    with_config(sp)
    sp.add_argument("--stage", default="classifier", choices=["reformer", "classifier"])
    sp.add_argument("--out", default="models/g2d/g2d.onnx")
    sp.add_argument("--metrics", default=None, help="metrics.json to embed in the sidecar")
    sp = sub.add_parser("wise-ft", help="interpolate teacher and fine-tuned reformer weights; pick alpha on the dev pairs")
    with_config(sp)
    sp.add_argument("--alphas", default="0.25,0.5,0.75,1", help="comma-separated alphas (0 = teacher, always measured)")
    sp.add_argument("--out", default=None, help="output directory (default <out_dir>/wise_ft)")
    sp = sub.add_parser("speed", help="ms per face of ONNX models: onnxruntime, CPU, 1 thread, batch 1, timed interleaved")
    sp.add_argument("models", nargs="+", help="ONNX files")
    sp.add_argument("--rounds", type=int, default=30)
    sp = sub.add_parser("export-pairs",
                        help="write the dev pairs (aligned crops + CSV) for `maskgate eval --aligned`, with the trainer's metrics")
    with_config(sp)
    sp.add_argument("--out", required=True, help="output folder")
    sp.add_argument("--onnx", default=None, help="score the pairs with this exported model (sidecar JSON beside it)")
    sp.add_argument("--sets", default="dev,mfr2", help="comma-separated: dev (synthetic-mask protocols), mfr2 (real masks)")
    sp.add_argument("--limit", type=int, default=None, help="at most N pairs per set, half genuine (seeded); all by default")
    sp = sub.add_parser("masks-sheet", help="contact sheet of synthetic masks")
    with_config(sp)
    sp.add_argument("--out", default="docs/masks-contact-sheet.png")
    sp.add_argument("--seed", type=int, default=0)
    sp = sub.add_parser("pad-net", help="train the PAD CNN (config section pad_net); cross-type check; export ONNX + sidecar")
    with_config(sp)
    sp.add_argument("--out", default="models/padnet/padnet.onnx")
    sp.add_argument("--cross-type", action="store_true", help="also fit without print / without replay and test on the unseen family")
    sp.add_argument("--no-export", action="store_true", help="train nothing to export (with --cross-type: the check only)")
    sp = sub.add_parser("mask-classifier", help="train the masked/unmasked classifier on synthetic masks; export ONNX + sidecar")
    with_config(sp)
    sp.add_argument("--out", default="models/maskflag/maskflag.onnx")
    sp.add_argument("--mfr2", default="../shared/datasets/mfr2", help="real masked faces to evaluate on (not trained on)")
    sp.add_argument("--images", type=int, default=3000, help="training faces (each used masked and unmasked)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "speed":  # needs no config
        from pathlib import Path

        from .speed import ms_per_face

        print(json.dumps(ms_per_face([Path(m) for m in args.models], args.rounds), indent=1))
        return 0
    try:
        cfg = load_config(args.config, args.set)
    except ConfigError as e:
        print(f"config error [{e.code}]: {e}", file=sys.stderr)
        return 2
    try:
        return _run(args, cfg)
    except Exception as e:  # typed errors carry a stable code; anything else is a bug and re-raised
        code = getattr(e, "code", None)
        if code is None:
            raise
        print(f"error [{code}]: {e}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, cfg: dict) -> int:
    if args.command == "prepare":
        from .data import build_cache
        from .train import load_training_data, repo_path

        for source in [cfg["data"], *cfg["data"]["extra_train"]]:
            out = repo_path(source["cache_dir"])
            if (out / "crops.npy").exists() and not args.force:
                print(json.dumps({"cache": str(out), "kept": True}))
                continue
            cache, stats = build_cache(repo_path(source["root"]), repo_path(cfg["data"]["detector"]), args.limit)
            cache.save(out)
            (out / "prepare_stats.json").write_text(json.dumps(stats, indent=1))
            print(json.dumps({"cache": str(out), **{k: v for k, v in stats.items() if k != "failedPaths"}}))
        load_training_data(cfg)  # computes and caches the distillation teachers' embeddings
        return 0
    if args.command == "train":
        from .train import train_stage

        res = train_stage(cfg, args.stage, resume=args.resume, evaluate=not args.no_eval)
        print(json.dumps({"stage": args.stage, "seconds": res["seconds"], "lastEpoch": res["history"][-1] if res["history"] else None}))
        return 0
    if args.command == "eval":
        from pathlib import Path

        from .train import evaluate_run

        evaluate_run(cfg, args.stage, out_dir=Path(args.out) if args.out else None, onnx_path=args.onnx,
                     with_teachers=not args.student_only)
        return 0
    if args.command == "teachers":
        from pathlib import Path

        from .train import measure_teachers

        measure_teachers(cfg, Path(args.out) if args.out else None)
        return 0
    if args.command == "realism":
        from pathlib import Path

        from .train import measure_realism_additions

        measure_realism_additions(cfg, Path(args.out) if args.out else None)
        return 0
    if args.command == "fit-head":
        from .head_fit import fit_and_export
        from .train import repo_path

        print(json.dumps(fit_and_export(cfg, repo_path(args.out), evaluate=not args.no_eval), indent=1))
        return 0
    if args.command == "export":
        from .export import export_student

        info = export_student(cfg, args.stage, args.out, args.metrics)
        print(json.dumps(info, indent=1))
        return 0
    if args.command == "wise-ft":
        from pathlib import Path

        from .train import wise_ft_run

        res = wise_ft_run(cfg, [float(a) for a in args.alphas.split(",")], Path(args.out) if args.out else None)
        print(json.dumps({"chosen": res["chosen"]}))
        return 0
    if args.command == "export-pairs":
        from pathlib import Path

        from .pair_export import export_pairs
        from .teacher_report import real_masked_cache
        from .train import dev_pair_list, onnx_student, repo_path

        sets = set(args.sets.split(","))
        if not sets <= {"dev", "mfr2"}:
            print(f"error [BAD_SETS]: --sets takes dev and/or mfr2, got {args.sets!r}", file=sys.stderr)
            return 2
        dev = None
        if "dev" in sets:
            cache, pairs = dev_pair_list(cfg)
            dev = (cache.crops, cache.keypoints, pairs, cfg["data"]["mask_seed"])
        real = real_masked_cache(cfg, repo_path) if "mfr2" in sets else None
        model_id, embed = onnx_student(cfg, args.onnx) if args.onnx else (None, None)
        report = export_pairs(repo_path(args.out), dev, real, embed, model_id, args.limit)
        print(json.dumps({k: v for k, v in report.items() if k != "metrics"}))
        return 0
    if args.command == "masks-sheet":
        import cv2
        import numpy as np

        from .data import FaceCache
        from .masks import contact_sheet
        from .train import repo_path

        cache = FaceCache.load(repo_path(cfg["data"]["cache_dir"]))
        idx = np.random.default_rng(args.seed).choice(len(cache), 48, replace=False)
        sheet = contact_sheet(np.asarray(cache.crops)[idx], cache.keypoints[idx], seed=args.seed)
        cv2.imwrite(str(repo_path(args.out)), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        print(args.out)
        return 0
    if args.command == "pad-net":
        from .pad_training import run as train_pad_net
        from .pad_training import training_config
        from .train import repo_path

        pad_cfg, eval_list = training_config(cfg, repo_path)
        out = None if args.no_export else repo_path(args.out)
        report = train_pad_net(pad_cfg, eval_list, repo_path(cfg["data"]["detector"]), out, args.cross_type)
        print(json.dumps(report, indent=1, default=float))
        return 0
    if args.command == "mask-classifier":
        from pathlib import Path

        from .mask_classifier import run as train_mask_classifier
        from .train import repo_path

        report = train_mask_classifier(cfg, repo_path(args.out), Path(args.mfr2), args.images)
        print(json.dumps(report, indent=1, default=float))
        return 0
    return 2
