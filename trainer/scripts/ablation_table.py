"""Markdown ablation table from metrics/teachers JSON files: one row per model, each cell
"ACC / FNMR at FMR 1 % / FNMR at FMR 0.1 %" on LFW dev (UMR-MP, MR-MP, UMR-UMP) and on MFR2 real
masks (UMR-MP, all pairs).

    python trainer/scripts/ablation_table.py "label=path/to/metrics.json[#model key prefix]" ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = (("LFW UMR-MP", None, "UMR-MP"), ("LFW MR-MP", None, "MR-MP"), ("LFW UMR-UMP", None, "UMR-UMP"),
           ("MFR2 UMR-MP", "MFR2", "UMR-MP"), ("MFR2 all", "MFR2", "all"))


def cells(res: dict) -> list[str]:
    out = []
    for _, group, proto in COLUMNS:
        m = (res.get(group, {}) if group else res).get(proto)
        out.append(f"{m['acc']:.4f} / {m['fmr100']:.4f} / {m['fmr1000']:.4f}" if m else "–")
    return out


def main(args: list[str]) -> None:
    print("| model | " + " | ".join(c for c, _, _ in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for arg in args:
        label, spec = arg.split("=", 1)
        path, _, key = spec.partition("#")
        doc = json.loads(Path(path).read_text())
        name = next(k for k in doc if not k.startswith("_") and k.startswith(key))
        print(f"| {label} | " + " | ".join(cells(doc[name])) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
