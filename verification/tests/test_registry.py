"""verification.registry: perceptual hashes of documents and layout matching, on generated documents."""

import io

import numpy as np
import pytest
from PIL import Image

from verification.imaging import analysis_image
from verification.registry import (
    HashTable,
    block_distance_many,
    dhash,
    document_crop,
    features_extract,
    features_match,
    hamming,
    hamming_many,
    hash_match_is_specimen,
    hash_to_signed,
    hash_to_unsigned,
    hashes_nearest,
    image_hashes,
    image_hashes_both_ways,
    phash,
    template_min_score,
)
from verification.tests.registry_samples import document


def crop_of(data: bytes, **kwargs):
    return document_crop(analysis_image(Image.open(io.BytesIO(data)), max_side=1600), **kwargs)


def table_of(*hashes) -> HashTable:
    return HashTable(
        phashes=np.array([h.phash for h in hashes], np.uint64),
        dhashes=np.array([h.dhash for h in hashes], np.uint64),
        blocks=np.array([np.frombuffer(h.block, np.uint8) for h in hashes], np.uint8).reshape(-1, 32),
        masks=np.array([np.frombuffer(h.block_mask, np.uint8) for h in hashes], np.uint8).reshape(-1, 32),
    )


# -- hashes: arithmetic ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 2**63 - 1, 2**63, 2**64 - 1, 0xDEADBEEFCAFEBABE])
def test_signed_storage_keeps_the_bits(value):
    signed = hash_to_signed(value)
    assert -(2**63) <= signed < 2**63
    assert hash_to_unsigned(signed) == value


def test_hamming_distances_one_and_many():
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(hash_to_signed(2**64 - 1), 0) == 64
    table = np.array([0, 2**64 - 1, 0xF0], np.uint64)
    assert hamming_many(table, 0xFF).tolist() == [8, 56, 4]


def test_hashes_are_64_bit_and_stable():
    rgb = np.asarray(Image.open(io.BytesIO(document("passport", 0).front)).convert("RGB"))
    a, b = image_hashes(rgb), image_hashes(rgb.copy())
    assert a == b
    assert 0 <= a.phash < 2**64 and 0 <= a.dhash < 2**64 and len(a.block) == len(a.block_mask) == 32
    # a brighter, lower-contrast copy keeps its hashes (normalised grey levels)
    dim = (rgb.astype(np.float32) * 0.7 + 40).astype(np.uint8)
    assert hamming(phash(dim), a.phash) <= 4 and hamming(dhash(dim), a.dhash) <= 4


def test_glare_clipped_cells_are_left_out_of_the_block_distance():
    rng = np.random.default_rng(0)
    rgb = (rng.random((320, 480, 3)) * 200).astype(np.uint8)
    glared = rgb.copy()
    glared[:100, :150] = 255  # a clipped highlight over about a tenth of the image
    clean, glare = image_hashes(rgb), image_hashes(glared)
    masked = block_distance_many(table_of(clean).blocks, table_of(clean).masks, glare)[0]
    readable = np.unpackbits(np.frombuffer(glare.block_mask, np.uint8)).astype(bool)
    assert readable.mean() < 0.95  # the clipped cells are masked ...
    assert masked < 0.1  # ... so the rest still matches


# -- hashes: specimens ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["passport", "id_card", "drivers_license"])
def test_recaptured_specimen_matches_and_genuine_documents_of_the_layout_do_not(kind):
    # given the published specimen registered
    registered = crop_of(document(kind, 0, ("specimen",)).front)
    table = table_of(image_hashes(registered.rgb))
    # when the same specimen comes back, photographed again with glare or mild blur
    for extra in ((), ("glare",)):
        query = crop_of(document(kind, 0, ("specimen", *extra)).front)
        match = hashes_nearest(table, image_hashes_both_ways(query.rgb))
        # then it is the registered specimen
        assert hash_match_is_specimen(match), (extra, match)
    # and genuine documents of the same kind and issuer (same layout, other holders) are not
    for seed in (1, 2, 3):
        query = crop_of(document(kind, seed).front)
        match = hashes_nearest(table, image_hashes_both_ways(query.rgb))
        assert not hash_match_is_specimen(match), (seed, match)


def test_an_upside_down_capture_matches_through_the_turned_hashes():
    crop = crop_of(document("id_card", 0, ("specimen",)).front)
    table = table_of(image_hashes(crop.rgb))
    turned = crop.rgb[::-1, ::-1].copy()
    assert not hash_match_is_specimen(hashes_nearest(table, [image_hashes(turned)]))
    assert hash_match_is_specimen(hashes_nearest(table, image_hashes_both_ways(turned)))


def test_nearest_of_an_empty_table_is_none():
    empty = HashTable(np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros((0, 32), np.uint8),
                      np.zeros((0, 32), np.uint8))
    assert hashes_nearest(empty, [image_hashes(np.zeros((40, 60, 3), np.uint8))]) is None


def test_document_crop_is_rectified_with_its_quad_in_original_pixels():
    doc = document("passport", 4)
    crop = crop_of(doc.front)
    assert crop.detected and crop.rgb.shape[1] == 640
    truth = np.array(doc.truth["regions"]["document_quad"])
    assert np.abs(np.array(crop.quad) - truth).max() < 40
    # crop corners go back to the document's corners in the analysis image
    h, w = crop.rgb.shape[:2]
    corners = crop.to_analysis([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    assert np.abs(corners - truth).max() < 40


# -- features: layout templates ---------------------------------------------------------------------


def test_a_genuine_document_matches_the_template_of_its_layout_and_another_layout_does_not():
    # given a template made from a genuine UTO ID card
    template = features_extract(crop_of(document("id_card", 10, country="UTO").front).rgb)
    assert len(template.keypoints) > 300
    # when another holder's UTO ID card is matched (same layout)
    same = features_match(template, features_extract(crop_of(document("id_card", 11, country="UTO").front).rgb))
    # then most of the layout's points are found again
    assert same.score >= template_min_score() and same.homography is not None
    # and a driving licence front or a passport data page does not match it
    for kind in ("drivers_license", "passport"):
        other = features_match(template, features_extract(crop_of(document(kind, 12).front).rgb))
        assert other.score < template_min_score(), (kind, other.evidence())


def test_features_round_trip_through_storage_bytes():
    features = features_extract(crop_of(document("passport", 1).front).rgb)
    again = type(features).from_npz_bytes(features.to_npz_bytes())
    assert again.size == features.size
    assert np.array_equal(again.keypoints, features.keypoints)
    assert np.array_equal(again.descriptors, features.descriptors)


def test_matching_without_keypoints_scores_zero():
    blank = features_extract(np.full((400, 640, 3), 200, np.uint8))
    assert len(blank.keypoints) == 0
    template = features_extract(crop_of(document("passport", 1).front).rgb)
    assert features_match(template, blank).score == 0.0
