"""Comparing a document with registered images: perceptual hashes and local-feature matching.

Pure functions on numpy arrays; the `documents` app stores what they compute and the checks
call them. Calibration and measured rates: docs/checks/registry.md.

- Perceptual hashes (`fake_id`), all of the rectified document (the whole image when no document
  outline is found): a 64-bit pHash (signs of the low 8×8 DCT coefficients of a 32×32 grey copy
  against their median) and a 64-bit dHash (signs of horizontal gradients on a 9×8 copy) say
  whether two images show the same layout and picture at a coarse scale; a 256-bit block hash
  (16×16 cells brighter than the median cell, with a mask of glare-clipped cells) tells a capture
  of the specimen itself from another holder's document of the same layout, which the 64-bit
  hashes alone cannot (the layout dominates their low frequencies). A registry holds hundreds of
  entries: XOR and popcount over uint64/uint8 arrays is the lookup.
- Local features (`feature_verification_failed`): ORB keypoints (oriented, so a card upside down
  matches too) of the rectified template and document, Lowe's ratio test, a RANSAC homography
  that must be close to the identity (or a half turn): two rectified crops of one layout nearly
  coincide, while chance inliers between two layouts fit a wild map. The static print of a layout
  (header, labels, emblem, guilloche) gives many inliers on any holder's document of that layout
  and few on another layout. The score is inliers over the template's keypoints.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from .document import document_detect, document_rectify
from .imaging import AnalysisImage
from .thresholds import ThresholdSpec, threshold, thresholds_register

thresholds_register({
    "registry.specimen_max_hash_distance": ThresholdSpec(
        40.0, "Largest summed pHash+dHash Hamming distance (of 128 bits) at which a document can be a "
        "capture of a registered specimen: same layout and picture at coarse scale."),
    "registry.specimen_max_block_distance": ThresholdSpec(
        0.08, "Largest share of differing 16x16 block-hash cells (glare-clipped cells left out) at "
        "which a document is a capture of the registered specimen itself, not another holder's "
        "document of the same layout (docs/checks/registry.md)."),
    "registry.template_min_score": ThresholdSpec(
        0.025, "Smallest share of the template's keypoints that must be RANSAC inliers of a near-identity "
        "homography for the document to match its registered layout."),
})

HASH_WIDTH = 640  # documents are rectified to this width before hashing and feature extraction
FEATURE_WIDTH = 640
ORB_FEATURES = 700
RATIO_TEST = 0.8
RANSAC_REPROJ_PX = 6.0
MIN_GOOD_MATCHES = 8


# -- the document crop -----------------------------------------------------------------------------


@dataclass
class DocumentCrop:
    rgb: np.ndarray  # rectified document (or the whole image when none was detected)
    matrix: np.ndarray  # analysis image -> crop pixels
    quad: list | None  # the document's corners in original-image pixels, for evidence
    detected: bool

    def to_analysis(self, points) -> np.ndarray:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, np.linalg.inv(self.matrix)).reshape(-1, 2)


def document_crop(image: AnalysisImage, *, width: int = HASH_WIDTH, detection=None) -> DocumentCrop:
    """The rectified document of `image` `width` pixels wide, else the whole image (a flat scan has
    no border to find). Pass `detection` when the caller has it (the shared analysis)."""
    if detection is None:
        detection = document_detect(image)
    if detection is None:
        h, w = image.rgb.shape[:2]
        factor = width / w
        matrix = np.diag([factor, factor, 1.0])
        return DocumentCrop(rgb=_resize_width(image.rgb, width), matrix=matrix, quad=None, detected=False)
    crop, matrix = document_rectify(image, detection, width=width)
    return DocumentCrop(rgb=crop, matrix=matrix, quad=image.to_original(detection.quad), detected=True)


def _resize_width(rgb: np.ndarray, width: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    if w == width:
        return rgb
    interpolation = cv2.INTER_AREA if w > width else cv2.INTER_LINEAR
    return cv2.resize(rgb, (width, max(1, round(h * width / w))), interpolation=interpolation)


def _normalised_gray(rgb: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    # Stretch to the 1st-99th percentiles: a darker room or a washed-out copy keeps its bits.
    lo, hi = np.percentile(gray, (1, 99))
    return np.clip((gray.astype(np.float32) - lo) * (255.0 / max(hi - lo, 1.0)), 0, 255)


# -- perceptual hashes -----------------------------------------------------------------------------


def _bits_to_int(bits: np.ndarray) -> int:
    value = 0
    for bit in bits.ravel():
        value = (value << 1) | int(bool(bit))
    return value


def phash(rgb: np.ndarray) -> int:
    """64-bit DCT perceptual hash (unsigned)."""
    small = cv2.resize(_normalised_gray(rgb), (32, 32), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:8, :8].ravel()
    # The DC term only says how bright the image is; compare the others with their median.
    return _bits_to_int(low > np.median(low[1:]))


def dhash(rgb: np.ndarray) -> int:
    """64-bit difference hash (unsigned): is each of 8×8 cells darker than its right neighbour."""
    small = cv2.resize(_normalised_gray(rgb), (9, 8), interpolation=cv2.INTER_AREA)
    return _bits_to_int(small[:, 1:] > small[:, :-1])


BLOCK_GRID = 16  # the block hash: 16×16 cells, 256 bits
SATURATED_LEVEL = 245
SATURATED_SHARE = 0.1  # a cell with this share of clipped pixels is glare: not compared
MIN_READABLE_SHARE = 0.6  # below this share of cells readable in both images, every cell is compared


def block_hash(rgb: np.ndarray) -> tuple[bytes, bytes]:
    """(bits, mask), 32 bytes each: is each of 16×16 cells brighter than the median cell, and
    which cells are readable (not clipped by glare). Finer than pHash: it sees the portrait and
    the printed values that tell two holders of one layout apart."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    cells = cv2.resize(gray.astype(np.float32), (BLOCK_GRID, BLOCK_GRID), interpolation=cv2.INTER_AREA)
    clipped = cv2.resize((gray >= SATURATED_LEVEL).astype(np.float32), (BLOCK_GRID, BLOCK_GRID),
                         interpolation=cv2.INTER_AREA) > SATURATED_SHARE
    readable = ~clipped
    median = np.median(cells[readable]) if readable.any() else np.median(cells)
    return np.packbits(cells > median).tobytes(), np.packbits(readable).tobytes()


@dataclass(frozen=True)
class ImageHashes:
    phash: int  # unsigned 64-bit
    dhash: int
    block: bytes  # 32 bytes
    block_mask: bytes  # 32 bytes, 1 = readable cell


def image_hashes(rgb: np.ndarray) -> ImageHashes:
    bits, mask = block_hash(rgb)
    return ImageHashes(phash=phash(rgb), dhash=dhash(rgb), block=bits, block_mask=mask)


def image_hashes_both_ways(rgb: np.ndarray) -> list[ImageHashes]:
    """Hashes of the crop upright and turned 180° (a card photographed upside down)."""
    return [image_hashes(rgb), image_hashes(rgb[::-1, ::-1])]


_SIGN = 1 << 63


def hash_to_signed(value: int) -> int:
    """Unsigned 64-bit -> the signed integer a BigIntegerField stores (same bits)."""
    return value - (1 << 64) if value & _SIGN else value


def hash_to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def hamming(a: int, b: int) -> int:
    return (hash_to_unsigned(a) ^ hash_to_unsigned(b)).bit_count()


def hamming_many(table: np.ndarray, value: int) -> np.ndarray:
    """Hamming distances from `value` to every hash in a uint64 array."""
    x = np.bitwise_xor(table.astype(np.uint64, copy=False), np.uint64(hash_to_unsigned(value)))
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1).astype(np.int32)


def block_distance_many(blocks: np.ndarray, masks: np.ndarray, query: ImageHashes) -> np.ndarray:
    """Share of cells readable in both whose bit differs, per row of N×32-byte arrays (0..1)."""
    bits = np.unpackbits(blocks, axis=1).astype(bool)
    readable = np.unpackbits(masks, axis=1).astype(bool)
    q_bits = np.unpackbits(np.frombuffer(query.block, np.uint8)).astype(bool)
    q_readable = np.unpackbits(np.frombuffer(query.block_mask, np.uint8)).astype(bool)
    both = readable & q_readable
    differ = bits != q_bits
    masked = (differ & both).sum(axis=1) / np.maximum(both.sum(axis=1), 1)
    # Glare covers a patch; when most cells are "clipped" the image is a washed-out copy, and the
    # few cells left would match anything: compare every cell then.
    whole = differ.mean(axis=1)
    return np.where(both.sum(axis=1) >= MIN_READABLE_SHARE * bits.shape[1], masked, whole)


@dataclass
class HashMatch:
    index: int  # row in the table
    hash_distance: int  # pHash + dHash Hamming distance, 0..128
    block_distance: float  # share of differing readable block-hash cells, 0..1

    def evidence(self) -> dict:
        return {"hash_distance": self.hash_distance, "block_distance": round(self.block_distance, 4)}


@dataclass
class HashTable:
    phashes: np.ndarray  # uint64
    dhashes: np.ndarray  # uint64
    blocks: np.ndarray  # N×32 uint8
    masks: np.ndarray  # N×32 uint8

    def __len__(self) -> int:
        return len(self.phashes)


def hashes_nearest(table: HashTable, queries: list[ImageHashes]) -> HashMatch | None:
    """The row nearest to any query: same layout by pHash+dHash, then the most similar blocks.

    Rows beyond `registry.specimen_max_hash_distance` are another layout and never chosen
    unless nothing is nearer.
    """
    if len(table) == 0:
        return None
    coarse_limit = threshold("registry.specimen_max_hash_distance")
    best = None
    for query in queries:
        coarse = hamming_many(table.phashes, query.phash) + hamming_many(table.dhashes, query.dhash)
        fine = block_distance_many(table.blocks, table.masks, query)
        # Rank within the layout bound by the block distance; outside it by the coarse distance.
        rank = np.where(coarse <= coarse_limit, fine, 1.0 + coarse / 128.0)
        i = int(np.argmin(rank))
        candidate = HashMatch(index=i, hash_distance=int(coarse[i]), block_distance=float(fine[i]))
        if best is None or _rank(candidate, coarse_limit) < _rank(best, coarse_limit):
            best = candidate
    return best


def _rank(match: HashMatch, coarse_limit: float) -> float:
    return match.block_distance if match.hash_distance <= coarse_limit else 1.0 + match.hash_distance / 128.0


def hash_match_is_specimen(match: HashMatch | None) -> bool:
    return (
        match is not None
        and match.hash_distance <= threshold("registry.specimen_max_hash_distance")
        and match.block_distance <= threshold("registry.specimen_max_block_distance")
    )


# -- local features ----------------------------------------------------------------------------------


@dataclass
class Features:
    keypoints: np.ndarray  # N×2 float32, pixels of the FEATURE_WIDTH-wide crop
    descriptors: np.ndarray  # N×32 uint8 (ORB)
    size: tuple[int, int]  # (width, height) of the crop

    def to_npz_bytes(self) -> bytes:
        import io

        buffer = io.BytesIO()
        np.savez_compressed(buffer, keypoints=self.keypoints, descriptors=self.descriptors,
                            size=np.array(self.size, np.int32))
        return buffer.getvalue()

    @classmethod
    def from_npz_bytes(cls, data: bytes) -> "Features":
        import io

        with np.load(io.BytesIO(data)) as npz:
            return cls(keypoints=npz["keypoints"], descriptors=npz["descriptors"],
                       size=tuple(int(v) for v in npz["size"]))


def features_extract(rgb: np.ndarray) -> Features:
    """ORB keypoints of a document crop, scaled to FEATURE_WIDTH, spread over the card."""
    crop = _resize_width(rgb, FEATURE_WIDTH)
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
    gray = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)
    orb = cv2.ORB_create(nfeatures=ORB_FEATURES, scaleFactor=1.2, nlevels=8, fastThreshold=12)
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    if descriptors is None:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), (crop.shape[1], crop.shape[0]))
    points = np.array([kp.pt for kp in keypoints], np.float32)
    return Features(points, descriptors, (crop.shape[1], crop.shape[0]))


@dataclass
class FeatureMatch:
    score: float  # inliers / template keypoints, 0..1
    inliers: int
    good_matches: int
    template_keypoints: int
    document_keypoints: int
    homography: np.ndarray | None  # template crop -> document crop

    def evidence(self) -> dict:
        return {
            "score": round(self.score, 4),
            "inliers": self.inliers,
            "good_matches": self.good_matches,
            "template_keypoints": self.template_keypoints,
            "document_keypoints": self.document_keypoints,
        }


_MATCHER = cv2.BFMatcher(cv2.NORM_HAMMING)


MAX_CORNER_SHIFT = 0.15  # of the template's width: two rectified crops of one layout nearly coincide


def _plausible(homography: np.ndarray, size: tuple[int, int]) -> bool:
    """Both crops are rectified documents: the map between them is close to the identity (or to a
    half turn, a card photographed upside down). Random inliers between two layouts fit wild maps."""
    w, h = size
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    mapped = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), homography).reshape(-1, 2)
    upright = np.abs(mapped - corners).max()
    turned = np.abs(mapped - corners[[2, 3, 0, 1]]).max()
    return bool(min(upright, turned) <= MAX_CORNER_SHIFT * w)


def features_match(template: Features, document: Features) -> FeatureMatch:
    """How well `document` shows the layout of `template`: RANSAC inliers over template keypoints."""
    n_t, n_d = len(template.keypoints), len(document.keypoints)
    empty = FeatureMatch(0.0, 0, 0, n_t, n_d, None)
    if n_t < MIN_GOOD_MATCHES or n_d < MIN_GOOD_MATCHES:
        return empty
    pairs = _MATCHER.knnMatch(template.descriptors, document.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO_TEST * p[1].distance]
    if len(good) < MIN_GOOD_MATCHES:
        return FeatureMatch(0.0, 0, len(good), n_t, n_d, None)
    src = template.keypoints[[m.queryIdx for m in good]].reshape(-1, 1, 2)
    dst = document.keypoints[[m.trainIdx for m in good]].reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_REPROJ_PX, maxIters=2000, confidence=0.995)
    if homography is None or mask is None or not _plausible(homography, template.size):
        return FeatureMatch(0.0, 0, len(good), n_t, n_d, None)
    inliers = int(mask.sum())
    return FeatureMatch(inliers / n_t, inliers, len(good), n_t, n_d, homography)


def template_min_score() -> float:
    return threshold("registry.template_min_score")
