"""Markdown summary of several evaluation runs: `python summary_table.py NAME=metrics.json ...`.

Prints, per run, the student's ACC / EER / FMR100 / FMR1000 on UMR-MP and MR-MP and FMR100 on
UMR-UMP, plus one teacher row (the teacher is evaluated on the same pairs in every run)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(args: list[str]) -> None:
    head = ("| model | UMR-MP ACC | UMR-MP EER | UMR-MP FMR100 | UMR-MP FMR1000 | MR-MP ACC | MR-MP EER | "
            "MR-MP FMR100 | MR-MP FMR1000 | UMR-UMP FMR100 |")
    print(head)
    print("|---" * 10 + "|")
    teacher = None
    for arg in args:
        name, path = arg.split("=", 1)
        doc = json.loads(Path(path).read_text())
        for key, res in doc.items():
            if key.startswith("_"):
                continue
            if key.startswith("teacher"):
                teacher = res
                continue
            print(row(name, res))
    if teacher is not None:
        print(row("teacher fr_feature (same pairs)", teacher))


def row(name: str, r: dict) -> str:
    u, m, p = r["UMR-MP"], r["MR-MP"], r["UMR-UMP"]
    cells = [u["acc"], u["eer"], u["fmr100"], u["fmr1000"], m["acc"], m["eer"], m["fmr100"], m["fmr1000"], p["fmr100"]]
    return f"| {name} | " + " | ".join(f"{c:.4f}" for c in cells) + " |"


if __name__ == "__main__":
    main(sys.argv[1:])
