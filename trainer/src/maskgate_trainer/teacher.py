"""Teachers as configuration: any ONNX face recogniser described by a small JSON sidecar
(`trainer/teachers/<name>.json`: ONNX path, input size, colour order, normalisation, alignment
template, licence), run through onnxruntime.

The trainer's own crops are 112x112 RGB aligned to the ArcFace template, so a teacher must take that
input; its colour order and normalisation are applied here from the sidecar."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

SUPPORTED_ALIGNMENT = "arcface-112"
SIDECAR_KEYS = {"name", "onnx", "inputSize", "channelOrder", "mean", "std", "alignment", "embeddingSize",
                "licence", "commercialUse", "trainingData", "source"}


class TeacherError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Preprocess:
    """How a network wants its (N,112,112,3) uint8 RGB crops: NCHW float32, channel order, (x-mean)/std."""

    bgr: bool = True
    mean: float = 127.0
    std: float = 128.0

    def apply(self, crops_rgb: np.ndarray) -> np.ndarray:
        x = crops_rgb[..., ::-1] if self.bgr else crops_rgb
        return np.ascontiguousarray(((x.astype(np.float32) - self.mean) / self.std).transpose(0, 3, 1, 2))


# The student's (and the shipped models') input convention: BGR, (x-127)/128.
STUDENT_PREPROCESS = Preprocess(bgr=True, mean=127.0, std=128.0)


@dataclass(frozen=True)
class TeacherSpec:
    name: str
    onnx: Path
    preprocess: Preprocess
    embedding_size: int
    licence: str
    commercial_use: bool
    training_data: str
    source: str

    @property
    def available(self) -> bool:
        return self.onnx.is_file()

    def card(self) -> dict:
        """The facts a student's model card repeats about its teacher."""
        return {"name": self.name, "licence": self.licence, "commercialUse": self.commercial_use,
                "trainingData": self.training_data, "source": self.source}


def read_teacher_sidecar(path: Path, repo_root: Path) -> TeacherSpec:
    """Parse and check one teacher sidecar; the ONNX path inside it is relative to the repository root."""
    if not path.is_file():
        raise TeacherError("NO_TEACHER_SIDECAR", f"teacher sidecar {path} not found")
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise TeacherError("BAD_TEACHER_SIDECAR", f"{path}: not JSON ({e.msg})") from None
    missing, unknown = SIDECAR_KEYS - raw.keys(), raw.keys() - SIDECAR_KEYS
    if missing or unknown:
        raise TeacherError("BAD_TEACHER_SIDECAR", f"{path}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    if list(raw["inputSize"]) != [112, 112]:
        raise TeacherError("BAD_TEACHER_SIDECAR", f"{path}: inputSize must be [112, 112] (the trainer's crops)")
    if raw["alignment"] != SUPPORTED_ALIGNMENT:
        raise TeacherError("BAD_TEACHER_SIDECAR", f"{path}: alignment {raw['alignment']!r} is not {SUPPORTED_ALIGNMENT!r}")
    if raw["channelOrder"] not in ("RGB", "BGR"):
        raise TeacherError("BAD_TEACHER_SIDECAR", f"{path}: channelOrder must be RGB or BGR")
    if not float(raw["std"]) > 0:
        raise TeacherError("BAD_TEACHER_SIDECAR", f"{path}: std must be > 0")
    onnx = Path(raw["onnx"])
    return TeacherSpec(
        name=str(raw["name"]), onnx=onnx if onnx.is_absolute() else (repo_root / onnx).resolve(),
        preprocess=Preprocess(raw["channelOrder"] == "BGR", float(raw["mean"]), float(raw["std"])),
        embedding_size=int(raw["embeddingSize"]), licence=str(raw["licence"]),
        commercial_use=bool(raw["commercialUse"]), training_data=str(raw["trainingData"]), source=str(raw["source"]))


def load_teachers(cfg: dict, repo_root: Path) -> dict[str, TeacherSpec]:
    """Every teacher the config lists (`teachers: [sidecar paths]`), by name, in config order."""
    specs: dict[str, TeacherSpec] = {}
    for p in cfg["teachers"]:
        p = Path(p)
        spec = read_teacher_sidecar(p if p.is_absolute() else repo_root / p, repo_root)
        if spec.name in specs:
            raise TeacherError("DUPLICATE_TEACHER", f"two teachers are named {spec.name!r}")
        specs[spec.name] = spec
    return specs


def require_available(spec: TeacherSpec) -> TeacherSpec:
    if not spec.available:
        raise TeacherError("TEACHER_MISSING", f"teacher {spec.name!r}: {spec.onnx} is not present")
    return spec


class OnnxEmbedder:
    """Embeds aligned RGB uint8 crops (N,112,112,3) with an ONNX face model; returns raw (N,D) float32.
    A fixed batch of 1 in the graph is handled by looping."""

    def __init__(self, path: str | Path, preprocess: Preprocess = STUDENT_PREPROCESS, num_threads: int = 2) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = num_threads
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        self._fixed_batch = inp.shape[0] if isinstance(inp.shape[0], int) else None
        self.preprocess = preprocess

    @classmethod
    def for_teacher(cls, spec: TeacherSpec, num_threads: int = 2) -> OnnxEmbedder:
        return cls(require_available(spec).onnx, spec.preprocess, num_threads)

    def embed(self, crops: np.ndarray, batch: int = 64, progress: bool = False) -> np.ndarray:
        out = []
        step = self._fixed_batch or batch
        for s in tqdm(range(0, len(crops), step), desc="embed", unit="batch", disable=not progress):
            x = self.preprocess.apply(np.asarray(crops[s : s + step]))
            out.append(self._session.run(None, {self._input_name: x})[0])
        return np.concatenate(out).astype(np.float32)


def l2_normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def combine_targets(embeddings: list[np.ndarray], combine: str) -> np.ndarray:
    """Distillation target from one or several teachers' embeddings of the same crops.

    - one teacher: its raw embedding (the student starts from that teacher's trunk, so raw matches);
    - `mean`: average of the L2-normalised embeddings (needs equal dimensions);
    - `concat`: concatenation of the L2-normalised embeddings; the trainer's learned linear map from
      the student to the target is then the projection of the concatenation."""
    if len(embeddings) == 1:
        return embeddings[0]
    normed = [l2_normalise(e) for e in embeddings]
    if combine == "mean":
        if len({e.shape[1] for e in normed}) != 1:
            raise TeacherError("ENSEMBLE_DIMS", "`mean` needs teachers of equal embedding size; use `concat`")
        return np.mean(normed, axis=0).astype(np.float32)
    if combine == "concat":
        return np.concatenate(normed, axis=1).astype(np.float32)
    raise TeacherError("BAD_COMBINE", f"distill.combine must be mean or concat, got {combine!r}")
