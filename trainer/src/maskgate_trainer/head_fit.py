"""The CPU-sized student: the chosen teacher's trunk, frozen, plus a linear head distilled in closed form.

Fine-tuning EdgeFace's trunk (`train --stage reformer` with `reformer.trunk: edgeface_xs`) is the
full recipe (gpu_full.yaml); on two shared CPU cores it ran at ~1.5 images/s, too slow for an
epoch. This is the part of it that fits: every training face is masked once (with the configured
realism additions), embedded by the teacher through onnxruntime, and a linear map W is fitted so
that W·e(masked face) lands on the distillation target of the unmasked face (one teacher or an
ensemble) and W·e(unmasked face) stays on its own — ridge regression shrunk towards the identity,
so with little data W stays close to the teacher:

    W = argmin ||X W - Y||² + λ ||W - I||²  =  (XᵀX + λI)⁻¹ (XᵀY + λI)

λ is chosen on training identities held out from the fit (never on the development pairs).
The exported graph is the teacher's own ONNX graph with L2 normalisation, W and L2 normalisation
appended, so inference costs what the teacher costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .masks import Realism, synthesize_mask
from .teacher import OnnxEmbedder, TeacherSpec, l2_normalise

LAMBDAS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


class HeadFitError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def masked_copies(crops: np.ndarray, keypoints: np.ndarray, indices: np.ndarray, realism: Realism, seed: int) -> np.ndarray:
    """One seeded synthetic mask per listed crop."""
    out = np.empty((len(indices), 112, 112, 3), np.uint8)
    for k, i in enumerate(indices.tolist()):
        out[k] = synthesize_mask(np.asarray(crops[i]), keypoints[i], np.random.default_rng([seed, int(i)]), realism=realism).image
    return out


def fit_ridge(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """(D_in, D_out) map minimising ||xW - y||² + lam·n·||W - I||² (I padded/cropped to the shape);
    lam is per sample so that it means the same for any number of rows."""
    d_in, d_out = x.shape[1], y.shape[1]
    eye = np.eye(d_in, d_out)
    reg = lam * len(x) / d_in
    a = x.T.astype(np.float64) @ x + reg * np.eye(d_in)
    b = x.T.astype(np.float64) @ y + reg * eye
    return np.linalg.solve(a, b).astype(np.float32)


def _cosine_loss(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(1 - (l2_normalise(x @ w) * l2_normalise(y)).sum(1).mean())


def choose_lambda(masked: np.ndarray, plain: np.ndarray, target: np.ndarray, identities: np.ndarray,
                  seed: int) -> tuple[float, dict[str, float]]:
    """Fit on 80 % of the training identities, score masked→target cosine loss on the other 20 %."""
    ids = np.unique(identities)
    held = np.random.default_rng(seed).choice(ids, max(1, len(ids) // 5), replace=False)
    val = np.isin(identities, held)
    x_fit = np.concatenate([masked[~val], plain[~val]])
    y_fit = np.concatenate([target[~val], target[~val]])
    scores = {}
    for lam in LAMBDAS:
        scores[str(lam)] = _cosine_loss(masked[val], target[val], fit_ridge(x_fit, y_fit, lam))
    best = min(LAMBDAS, key=lambda v: scores[str(v)])
    return best, scores


def fit_head(cfg: dict, spec: TeacherSpec, crops: np.ndarray, keypoints: np.ndarray, labels: np.ndarray,
             train: np.ndarray, target: np.ndarray, realism: Realism, plain_all: np.ndarray | None = None) -> dict:
    """Embed masked (and, unless given, plain) training faces with the teacher, pick λ, fit W on everything."""
    embed = OnnxEmbedder.for_teacher(spec, cfg["run"]["threads"]).embed
    masked = l2_normalise(embed(masked_copies(crops, keypoints, train, realism, cfg["run"]["seed"]), progress=True))
    plain = l2_normalise(plain_all[train] if plain_all is not None else embed(np.stack([np.asarray(crops[i]) for i in train])))
    y = l2_normalise(target[train])
    lam, scores = choose_lambda(masked, plain, y, labels[train], cfg["run"]["seed"])
    w = fit_ridge(np.concatenate([masked, plain]), np.concatenate([y, y]), lam)
    return {"w": w, "lambda": lam, "validationCosineLoss": scores,
            "trainCosineLoss": {"masked": _cosine_loss(masked, y, w), "maskedTeacherAlone": float(1 - (masked * y).sum(1).mean())}}


def _normalise_nodes(src: str, dst: str, tag: str) -> list[onnx.NodeProto]:
    return [helper.make_node("ReduceL2", [src], [f"{tag}_norm"], axes=[1], keepdims=1),
            helper.make_node("Max", [f"{tag}_norm", "head_eps"], [f"{tag}_safe"]),
            helper.make_node("Div", [src, f"{tag}_safe"], [dst])]


def export_with_head(teacher_onnx: Path, w: np.ndarray, out: Path) -> dict:
    """The teacher's graph + L2 normalise + W + L2 normalise, output `embedding` (N, D_out)."""
    model = onnx.load(str(teacher_onnx))
    graph = model.graph
    if len(graph.output) != 1:
        raise HeadFitError("TEACHER_OUTPUTS", f"{teacher_onnx} has {len(graph.output)} outputs; expected one embedding")
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset > 17:
        raise HeadFitError("OPSET", f"{teacher_onnx} uses opset {opset}; ReduceL2 with an axes attribute needs <= 17")
    # The teacher's own output becomes an inner tensor (it may already be called "embedding").
    old = "teacher_embedding"
    for node in graph.node:
        node.output[:] = [old if o == graph.output[0].name else o for o in node.output]
        node.input[:] = [old if i == graph.output[0].name else i for i in node.input]
    graph.initializer.extend([numpy_helper.from_array(w.astype(np.float32), "head_w"),
                              numpy_helper.from_array(np.array(1e-12, np.float32), "head_eps")])
    nodes = _normalise_nodes(old, "teacher_unit", "in")
    nodes.append(helper.make_node("MatMul", ["teacher_unit", "head_w"], ["head_out"]))
    nodes += _normalise_nodes("head_out", "embedding", "out")
    graph.node.extend(nodes)
    del graph.output[:]
    batch = model.graph.input[0].type.tensor_type.shape.dim[0]
    graph.output.append(helper.make_tensor_value_info(
        "embedding", onnx.TensorProto.FLOAT, [batch.dim_param or batch.dim_value or "batch", int(w.shape[1])]))
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return {"inputName": graph.input[0].name, "embeddingSize": int(w.shape[1]),
            "maxBatch": batch.dim_value if batch.dim_value > 0 else None}


def head_parity(teacher: OnnxEmbedder, student_onnx: Path, w: np.ndarray, crops: np.ndarray, preprocess) -> float:
    """Max |exported graph - (teacher embedding → normalise → W → normalise) computed in numpy|."""
    want = l2_normalise(l2_normalise(teacher.embed(crops)) @ w)
    got = OnnxEmbedder(student_onnx, preprocess, num_threads=1).embed(crops)
    return float(np.abs(got - want).max())


def fit_and_export(cfg: dict, out: Path, evaluate: bool = True) -> dict:
    """`python -m maskgate_trainer fit-head`: fit, export with its card, check parity, evaluate."""
    import json

    from .evaluate import save_json
    from .export import PARITY_TOLERANCE, sidecar
    from .model_card import model_card
    from .train import evaluate_run, load_training_data, setup, teacher_specs

    setup(cfg)
    specs = teacher_specs(cfg)
    trunk = specs.get(cfg["reformer"]["trunk"])
    if trunk is None:
        raise HeadFitError("BAD_TRUNK", f"reformer.trunk {cfg['reformer']['trunk']!r} is not a configured teacher")
    data = load_training_data(cfg)
    # When the trunk is the only teacher, its embeddings of the plain crops are the cached targets.
    plain = data.teacher if cfg["distill"]["teachers"] == [trunk.name] else None
    fit = fit_head(cfg, trunk, data.cache.crops, data.cache.keypoints, data.cache.labels, data.train, data.teacher,
                   Realism.from_config(cfg["augment"].get("realism")), plain)
    io = export_with_head(trunk.onnx, fit["w"], out)
    teacher = OnnxEmbedder.for_teacher(trunk, 1)
    probe = np.stack([np.asarray(data.cache.crops[i]) for i in data.split.dev[:8]])
    diff = head_parity(teacher, out, fit["w"], probe, trunk.preprocess)
    if diff > PARITY_TOLERANCE:
        raise HeadFitError("PARITY", f"exported head differs from numpy by {diff:.2e} > {PARITY_TOLERANCE}")
    p = trunk.preprocess
    layout = {"inputName": io["inputName"], "channelOrder": "BGR" if p.bgr else "RGB", "mean": [p.mean] * 3,
              "std": [p.std] * 3, "embeddingSize": io["embeddingSize"]}
    extra = {"exportParityMaxAbsDiff": diff, "student": "frozen teacher trunk + closed-form distilled linear head",
             "headFit": {k: v for k, v in fit.items() if k != "w"}, "trainingImages": int(len(data.train))}

    def write(metrics: dict | None) -> dict:
        info = sidecar(out, {"stage": "head", **cfg}, metrics, model_card(cfg, specs, metrics), io["maxBatch"], extra, layout)
        out.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
        return info

    write(None)  # evaluate_run reads the preprocessing from the sidecar
    metrics = evaluate_run(cfg, "head", data, out.parent / f"eval_{out.stem}", out, with_teachers=False) if evaluate else None
    info = write(metrics)
    if metrics:
        save_json(metrics, out.parent / f"eval_{out.stem}" / "metrics.json")
    return {"onnx": str(out), "modelId": info["modelId"], "parityMaxAbsDiff": diff, "lambda": fit["lambda"],
            "validationCosineLoss": fit["validationCosineLoss"], "trainCosineLoss": fit["trainCosineLoss"]}
