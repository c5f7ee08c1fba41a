from __future__ import annotations

import numpy as np
import pytest

from maskgate_trainer.align import TEMPLATE
from maskgate_trainer.masks import SHAPES, SURFACES, MaskError, augment_pair, contact_sheet, synthesize_mask


def test_same_seed_same_mask_different_seed_different(faces):
    a = synthesize_mask(faces[0], None, 7)
    b = synthesize_mask(faces[0], None, 7)
    c = synthesize_mask(faces[0], None, 8)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.occlusion, b.occlusion)
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("shape", SHAPES)
def test_occlusion_covers_nose_and_mouth_not_eyes(faces, shape):
    nose, mouth = np.round(TEMPLATE[2]).astype(int), np.round(TEMPLATE[3]).astype(int)
    for seed in range(25):
        s = synthesize_mask(faces[seed % len(faces)], None, seed, shape=shape)
        assert s.occlusion[mouth[1], mouth[0]] == 1, f"{shape} seed {seed}: mouth visible"
        assert s.occlusion[nose[1] + 4, nose[0]] == 1, f"{shape} seed {seed}: nose visible"
        for eye in TEMPLATE[:2]:
            ex, ey = np.round(eye).astype(int)
            assert s.occlusion[ey - 2 : ey + 3, ex - 3 : ex + 4].sum() == 0, f"{shape} seed {seed}: eye covered"
        assert s.occlusion.dtype == np.uint8 and set(np.unique(s.occlusion)) <= {0, 1}


def test_pixels_outside_the_occlusion_map_are_mostly_unchanged(faces):
    s = synthesize_mask(faces[1], None, 3, shape="surgical", surface="plain")
    changed = np.abs(s.image.astype(int) - faces[1].astype(int)).sum(axis=2) > 0
    # Straps and the anti-aliased rim change a thin band outside the map; the upper face is untouched.
    assert changed[:40].sum() == 0
    assert changed[s.occlusion == 1].mean() > 0.9


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_renders(faces, surface):
    s = synthesize_mask(faces[2], None, 11, shape="cloth", surface=surface)
    assert s.image.shape == (112, 112, 3) and s.surface == surface


def test_variety_over_seeds(faces):
    shapes = {synthesize_mask(faces[0], None, k).shape for k in range(60)}
    assert shapes == set(SHAPES)


def test_bad_input_raises_typed_error():
    with pytest.raises(MaskError) as e:
        synthesize_mask(np.zeros((50, 50, 3), np.uint8), None, 0)
    assert e.value.code == "BAD_IMAGE"
    with pytest.raises(MaskError):
        synthesize_mask(np.zeros((112, 112, 3), np.uint8), None, 0, shape="balaclava")


def test_augment_pair_applies_one_transform_to_all(faces):
    occ = synthesize_mask(faces[0], None, 1).occlusion
    rng = np.random.default_rng(5)
    (img, occ2), flipped = augment_pair([faces[0], occ], rng, max_shift=0, flip_p=1.0)
    assert flipped
    assert np.array_equal(img, faces[0][:, ::-1]) and np.array_equal(occ2, occ[:, ::-1])


def test_contact_sheet_grid(faces):
    sheet = contact_sheet(faces, None, rows=2, cols=3, seed=0)
    assert sheet.shape == (224, 336, 3)
