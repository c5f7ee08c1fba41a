"""Mask realism additions: off by default (dev masks unchanged), seeded, and each one visible."""

from __future__ import annotations

import numpy as np
import pytest

from maskgate_trainer.masks import NO_REALISM, REALISM_ADDITIONS, MaskError, Realism, synthesize_mask


def test_without_realism_the_masks_are_exactly_the_original_ones(faces):
    a = synthesize_mask(faces[0], None, 7)
    b = synthesize_mask(faces[0], None, 7, realism=NO_REALISM)
    assert np.array_equal(a.image, b.image)


@pytest.mark.parametrize("addition", REALISM_ADDITIONS)
def test_each_addition_changes_the_image_and_is_seeded(faces, addition):
    r = Realism(**{addition: 1.0})
    plain = synthesize_mask(faces[1], None, 11).image.astype(int)
    one = synthesize_mask(faces[1], None, 11, realism=r)
    two = synthesize_mask(faces[1], None, 11, realism=r)
    assert np.array_equal(one.image, two.image)
    assert np.abs(one.image.astype(int) - plain).sum() > 0


def test_a_hand_over_the_mask_extends_the_occlusion_map(faces):
    plain = synthesize_mask(faces[2], None, 3).occlusion
    hand = synthesize_mask(faces[2], None, 3, realism=Realism(hand=1.0)).occlusion
    assert hand.sum() > plain.sum()


def test_unknown_realism_keys_are_refused():
    with pytest.raises(MaskError) as e:
        Realism.from_config({"folds": 0.5, "sparkles": 1.0})
    assert e.value.code == "BAD_REALISM"
