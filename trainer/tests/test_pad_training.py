"""PadNet's training data: the random capture keeps the face in the daemon's crop, synthetic masks
land on the lower face of a full frame, the splits keep evaluation people out, and the config reads."""

import numpy as np
import pytest

from maskgate_trainer.config import load_config
from maskgate_trainer.masks import DEFAULT_KEYPOINTS, Realism
from maskgate_trainer.pad_capture import Frame, capture
from maskgate_trainer.pad_sources import casia_held_out, mask_in_place
from maskgate_trainer.pad_training import training_config

from .conftest import DETECTOR, LFW, REPO, synthetic_face


def _frame_with_face(face: np.ndarray | None = None, offset: int = 150, scale: float = 2.0) -> tuple[Frame, np.ndarray]:
    """A 480x640 black frame with a 112x112 face crop (default: flat bright) scaled `scale` at
    (offset, offset), and its keypoints."""
    import cv2

    face = np.full((112, 112, 3), 200, np.uint8) if face is None else face
    frame = np.zeros((480, 640, 3), np.uint8)
    size = round(112 * scale)
    frame[offset : offset + size, offset : offset + size] = cv2.resize(face, (size, size))
    keypoints = DEFAULT_KEYPOINTS * scale + offset
    return Frame(frame, (offset + 16 * scale, offset + 12 * scale, offset + 96 * scale, offset + 110 * scale)), keypoints


def test_capture_is_the_128_crop_with_the_face_in_its_middle():
    frame, _ = _frame_with_face()
    rng = np.random.default_rng(0)
    for _ in range(40):
        crop = capture(frame, rng)
        assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8
        # The face (bright) fills the centre whatever the framing, scale, roll, exposure and compression.
        assert crop[48:80, 48:80].mean() > 50


def test_capture_varies_and_is_seeded():
    frame, _ = _frame_with_face()
    a = [capture(frame, np.random.default_rng(s)) for s in range(6)]
    assert all(np.array_equal(x, capture(frame, np.random.default_rng(s))) for s, x in enumerate(a))
    assert len({x.tobytes() for x in a}) == 6


def test_mask_lands_on_nose_and_mouth_of_the_full_frame():
    frame, keypoints = _frame_with_face(synthetic_face(3))
    masked = mask_in_place(frame.image, keypoints, np.random.default_rng(1), Realism())
    changed = np.abs(masked.astype(int) - frame.image.astype(int)).max(axis=2) > 8
    eyes_y, mouth_y = keypoints[0, 1], keypoints[3, 1]
    assert changed[round(mouth_y) - 4 : round(mouth_y) + 4].any(), "the mouth must be covered"
    assert changed[: round(eyes_y) - 12].sum() < 0.01 * changed.sum(), "nothing above the eyes changes"
    assert changed[:100].sum() == 0 and changed[:, :100].sum() == 0, "the frame outside the face is untouched"


def test_casia_split_halves_the_identities():
    names = [f"casia5_{i:03d}" for i in range(40)]
    held = [n for n in names if casia_held_out(n)]
    assert len(held) == 20 and "casia5_001" in held and "casia5_000" not in held


def test_base_config_trains_on_everything_but_the_evaluation_sets():
    cfg, eval_list = training_config(load_config(REPO / "trainer" / "configs" / "base.yaml"), lambda p: REPO / p)
    assert cfg.mask_rate >= 0.5 and cfg.realism.folds > 0
    assert "Jacques_Chirac" in cfg.exclude_identities  # the end-to-end tests' enrolled visitor
    assert all("mfr2" not in str(p) for p in [*cfg.attack_lists, *cfg.bona_fide_lists, cfg.lfw_root, cfg.casia_root])
    assert eval_list.name == "list.csv"


@pytest.mark.skipif(not LFW.is_dir() or not DETECTOR.exists(), reason="needs the LFW-dev set and the BlazeFace model")
def test_training_photos_leave_out_held_out_and_excluded_people():
    from maskgate_trainer.detect import BlazeFaceDetector
    from maskgate_trainer.mask_classifier import is_pad_held_out
    from maskgate_trainer.pad_sources import LFW_KEEP, photo_frames

    seen: list[str] = []

    def keep(name: str) -> bool:
        ok = not is_pad_held_out(name) and name != "Jacques_Chirac"
        if ok:
            seen.append(name)
        return ok

    frames = photo_frames(LFW, keep, 1, 5, LFW_KEEP, BlazeFaceDetector(str(DETECTOR)), np.random.default_rng(0), 1.0, Realism())
    assert len(frames) == 5
    assert seen and not any(is_pad_held_out(n) for n in seen)
    for f in frames:
        x0, y0, x1, y1 = f.box
        assert 0 <= x0 < x1 <= f.image.shape[1] + 2 and 0 <= y0 < y1 <= f.image.shape[0] + 2


def test_the_context_cut_leaves_the_pad_crop_unchanged():
    from maskgate_trainer.pad_capture import _context
    from maskgate_trainer.pad_net import pad_crop

    for offset, scale in ((150, 2.0), (10, 1.0), (300, 1.5)):
        frame, _ = _frame_with_face(np.random.default_rng(offset).integers(0, 255, (112, 112, 3), dtype=np.uint8), offset, scale)
        cut = _context(frame)
        assert cut.image.shape[0] * cut.image.shape[1] < frame.image.shape[0] * frame.image.shape[1]
        assert np.array_equal(pad_crop(cut.image, cut.box), pad_crop(frame.image, frame.box))


def test_a_tighter_crop_scale_magnifies_the_face_and_the_context_cut_follows_it():
    from maskgate_trainer.pad_capture import _context
    from maskgate_trainer.pad_net import pad_crop

    frame, _ = _frame_with_face(np.random.default_rng(5).integers(0, 255, (112, 112, 3), dtype=np.uint8), 150, 1.5)
    for scale in (1.5, 2.7):
        cut = _context(frame, scale)
        assert np.array_equal(pad_crop(cut.image, cut.box, scale), pad_crop(frame.image, frame.box, scale))
    # The face patch sits on black: the 2.7x crop shows far more of the black surroundings.
    tight, wide = pad_crop(frame.image, frame.box, 1.5), pad_crop(frame.image, frame.box, 2.7)
    assert 2 * (tight.max(axis=2) == 0).mean() < (wide.max(axis=2) == 0).mean()
    crops = [capture(frame, np.random.default_rng(s), 1.5) for s in range(4)]
    assert all(c.shape == (128, 128, 3) for c in crops)


def test_the_tight_pad_recipe_reads_its_crop_scale_and_the_door_attacks():
    base, _ = training_config(load_config(REPO / "trainer" / "configs" / "base.yaml"), lambda p: REPO / p)
    tight, _ = training_config(load_config(REPO / "trainer" / "configs" / "pad_tight.yaml"), lambda p: REPO / p)
    assert base.crop_scale == 2.7 and tight.crop_scale == 1.2
    assert any("door-attack" in str(p) for p in tight.attack_lists)
    assert all("mfr2" not in str(p) for p in [*tight.attack_lists, *tight.bona_fide_lists])
