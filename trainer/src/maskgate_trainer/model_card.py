"""The card facts every exported model carries in its sidecar (`provenance.card`), read by
`maskgate models`: teacher(s), the network it was initialised from, training data, whether
commercial use is allowed, what that means, and its development figures.

Licence consequences are derived, not typed by hand: a model is only as free as the most
restrictive of its teachers, its initial weights and its training data."""

from __future__ import annotations

from .teacher import TeacherSpec


def _student_entry(metrics: dict | None) -> dict | None:
    if not metrics:
        return None
    return next((v for k, v in metrics.items() if k.startswith("student")), None)


def _figures(m: dict | None) -> dict | None:
    if not m:
        return None
    return {"acc": round(m["acc"], 4), "fnmrAtFmr1": round(m["fmr100"], 4), "fnmrAtFmr01": round(m["fmr1000"], 4)}


def model_card(cfg: dict, specs: dict[str, TeacherSpec], metrics: dict | None) -> dict:
    teachers = [specs[n] for n in cfg["distill"]["teachers"]]
    trunk = specs.get(cfg["reformer"]["trunk"]) if cfg["reformer"]["arch"] == "teacher_init" else None
    sources = [cfg["data"], *cfg["data"]["extra_train"]]
    data = [f"{s['name']} ({s['licence']})" for s in sources]
    weights = [*teachers, *([trunk] if trunk else [])]
    commercial = all(t.commercial_use for t in weights) and all(bool(s["commercial_use"]) for s in sources)
    restrictive = sorted({t.name for t in weights if not t.commercial_use})
    reasons = ([f"distilled from / initialised with {', '.join(restrictive)} (non-commercial weights)"] if restrictive else []) + \
              [f"trained on {s['name']} ({s['licence']})" for s in sources if not s["commercial_use"]]
    consequences = ("Commercial use allowed by its inputs." if commercial else
                    "Not for commercial use: " + "; ".join(reasons) + ". Research and evaluation only.")
    if any("BY-NC-SA" in t.licence or "share-alike" in t.licence.lower() for t in weights):
        consequences += " Share-alike: redistributed copies and derivatives must carry the same licence (CC BY-NC-SA 4.0)."
    student = _student_entry(metrics)
    return {
        "teachers": [t.card() for t in teachers],
        "initialisedFrom": trunk.card() if trunk else None,
        "trainingData": data,
        "commercialUse": commercial,
        "licenceConsequences": consequences,
        "devUmrMp": _figures(student["UMR-MP"]) if student else None,
        "devUmrUmp": _figures(student["UMR-UMP"]) if student else None,
        "realMaskedUmrMp": _figures(student.get("MFR2", {}).get("UMR-MP")) if student else None,
    }


def licence_line(card: dict) -> str:
    """The sidecar's one-line `licence` (the daemon requires it; people read it in `maskgate models`)."""
    teachers = ", ".join(f"{t['name']} ({t['licence'].split(';')[0].split('(')[0].strip()})" for t in card["teachers"])
    kind = "commercial use allowed" if card["commercialUse"] else "NON-COMMERCIAL"
    return f"{kind}: distilled from {teachers}; trained on {'; '.join(card['trainingData'])}. See models/README.md"
