"""Prints the LFW-dev identities the trainer holds out for development (never trained on), one per
line, by replaying its identity split (data.dev_identities and data.split_seed of
trainer/configs/base.yaml) over the folder. The trainer splits its aligned-crop cache, which lacks
the few photos BlazeFace misses; the folder gives 1456 photos of these 300 people where the shipped
model's card says 1452, so the people are the same.

    PYTHONPATH=trainer/src /work/main/.venv/bin/python scripts/lfw-dev-heldout-identities.py \
        [/work/shared/datasets/lfw-dev] > scripts/lfw-dev-heldout-identities.txt
"""

import sys

import numpy as np
from maskgate_trainer.data import scan_face_folders, split_identities

root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/datasets/lfw-dev"
items = scan_face_folders(root)
names = sorted({identity for identity, _ in items})
index = {n: k for k, n in enumerate(names)}
labels = np.array([index[identity] for identity, _ in items])
split = split_identities(labels, dev_identities=300, seed=0)
print(f"{len(split.dev)} photos of {len(split.dev_identities)} held-out people", file=sys.stderr)
print("\n".join(names[k] for k in split.dev_identities))
