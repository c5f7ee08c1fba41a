"""Writes the PAD evaluation list by bona fide source, for `maskgate eval-pad` and the PAD trainer:
the held-out attack set (its attacks and its rendered bona fide) plus every real or appliance-made
bona fide source, each tagged with its own condition so BPCER is reported per source:

- set-masked / set-unmasked: the attack set's rendered bona fide (`maskgate attack-set`, held out);
- lfw-photo: LFW-dev photos of the PAD held-out identities (news photos, one per person), their
  central 72% as everywhere else (the funnelled photos' rotated black borders look like a bezel);
- casia: CASIA-FaceV5 subset, the odd-numbered half of its identities (the PAD trainer uses the even);
- door-masked / door-unmasked: door-clip frames of held-out identities (scripts/door-clip-frames.mjs);
- mfr2-masked / mfr2-unmasked: MFR2's real masked and unmasked photos (never trained on).

    python scripts/pad-eval-lists.py var/pad-set var/door-heldout var/pad-eval/by-source.csv
"""

import csv
import hashlib
import sys
from pathlib import Path

import cv2

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if not DATASETS.is_dir():
    DATASETS = Path("/work/shared/datasets")


LFW_KEEP = 0.72  # as synthetic/attack-set.ts SOURCE_KEEP and the trainer's pad_sources.LFW_KEEP


def pad_held_out(identity: str) -> bool:
    """The PAD held-out identity rule of synthetic/attack-set.ts (isPadHeldOut)."""
    return hashlib.sha1(identity.encode()).digest()[0] % 8 == 0


def casia_held_out(identity: str) -> bool:
    """CASIA-FaceV5 `casia5_NNN`: odd NNN held out for evaluation, even NNN for training."""
    return int(identity.rsplit("_", 1)[1]) % 2 == 1


def list_rows(list_csv: Path, kinds: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    rows = []
    for path, label, kind in csv.reader(list_csv.read_text().splitlines()):
        rows.append((str((list_csv.parent / path).resolve()), label, (kinds or {}).get(kind, kind)))
    return rows


def main(attack_set: Path, door_frames: Path, out: Path) -> None:
    rows = list_rows(attack_set / "list.csv", {"masked": "set-masked", "unmasked": "set-unmasked"})
    rows += list_rows(door_frames / "list.csv", {"masked": "door-masked", "unmasked": "door-unmasked"})
    lfw = DATASETS / "lfw-dev"
    for identity in sorted(d.name for d in lfw.iterdir() if d.is_dir() and pad_held_out(d.name)):
        first = sorted(lfw.glob(f"{identity}/*.jpg"))[0]
        image = cv2.imread(str(first))
        h, w = image.shape[:2]
        top, left = round(h * (1 - LFW_KEEP) / 2), round(w * (1 - LFW_KEEP) / 2)
        central = out.parent / "lfw-photo" / first.name
        central.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(central), image[top : h - top, left : w - left], [cv2.IMWRITE_JPEG_QUALITY, 95])
        rows.append((str(central.resolve()), "bona_fide", "lfw-photo"))
    casia = DATASETS / "casia-facev5-subset40"
    for identity in sorted(d.name for d in casia.iterdir() if d.is_dir() and casia_held_out(d.name)):
        rows += [(str(p), "bona_fide", "casia") for p in sorted((casia / identity).glob("*.jpg"))]
    mfr2 = DATASETS / "mfr2"
    for r in csv.DictReader((mfr2 / "manifest.csv").open()):
        rows.append((str(mfr2 / r["path"]), "bona_fide", "mfr2-masked" if r["masked"] == "1" else "mfr2-unmasked"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{p},{label},{kind}\n" for p, label, kind in rows))
    print(f"{len(rows)} presentations in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
