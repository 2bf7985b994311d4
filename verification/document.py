"""Find the ID document in a photo: its quadrilateral, pose, and a rectified crop.

Classical computer vision, no model: edge and brightness segmentations each propose convex
quadrilaterals; a candidate must cover a plausible share of the image, be close to a
rectangle (area / min-area-rect area) and have an ID-like aspect ratio once rectified. The
best-scoring candidate wins. Pose is measured on it: in-plane rotation of its long edges and
the perspective skew (how far its corners are from right angles and its opposite sides from
equal length).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from .imaging import AnalysisImage
from .thresholds import ThresholdSpec, threshold, thresholds_register

thresholds_register({
    "document.min_area_share": ThresholdSpec(
        0.08, "Smallest share of the image a document quadrilateral may cover."),
    "document.min_rectangularity": ThresholdSpec(
        0.75, "Quadrilateral area over its minimum-area rectangle: below it the shape is not a card "
        "(a card's perspective trapezoid stays above 0.8)."),
    "document.max_rotation_deg": ThresholdSpec(
        25.0, "Largest in-plane rotation (degrees) of a document still read 'in the right direction'."),
    "document.min_edge_support": ThresholdSpec(
        0.35, "Share of the quadrilateral's outline with a colour step across it (inside vs outside)."),
    "document.max_corner_deviation_deg": ThresholdSpec(
        16.0, "Largest deviation of a corner from 90 degrees before the perspective counts as abnormal."),
})

# Rectified aspect ratios (long/short) of ISO ID-1 cards (1.586) and TD3 passport pages (1.42),
# with room for perspective; candidates outside are penalised, not excluded (a tilted card).
ASPECT_MIN, ASPECT_MAX = 1.3, 1.72
OUTLINE_STEP = 12.0  # grey levels by which a drawn outline is darker than both its sides
EDGE_STEP = 7.0  # Lab distance across an outline that counts as a step (about twice a just-noticeable one)
WORK_SIDE = 640  # detection runs on a small copy: edges of a card survive, noise does not
BORDER_BAND = 0.04  # share of the shorter side, along each image edge, that models the background


@dataclass
class DocumentDetection:
    quad: np.ndarray  # 4×2 float, analysis-image pixels, ordered TL, TR, BR, BL
    area_share: float
    rectangularity: float
    aspect: float
    rotation_deg: float  # in-plane rotation of the long axis from horizontal, -90..90
    corner_deviation_deg: float  # max |corner angle - 90|
    side_ratio: float  # shorter/longer of each pair of opposite sides, the worse pair
    method: str
    edge_support: float = 0.0  # share of the outline on a strong image edge

    @property
    def is_abnormal_pose(self) -> bool:
        return (
            abs(self.rotation_deg) > threshold("document.max_rotation_deg")
            or self.corner_deviation_deg > threshold("document.max_corner_deviation_deg")
        )

    def evidence(self, image: AnalysisImage) -> dict:
        return {
            "quad": image.to_original(self.quad),
            "area_share": round(self.area_share, 3),
            "rectangularity": round(self.rectangularity, 3),
            "aspect": round(self.aspect, 3),
            "rotation_deg": round(self.rotation_deg, 1),
            "corner_deviation_deg": round(self.corner_deviation_deg, 1),
            "method": self.method,
            "edge_support": round(self.edge_support, 3),
        }


def order_quad(points: np.ndarray) -> np.ndarray:
    """Order four points TL, TR, BR, BL: clockwise around their centre, starting nearest the top-left.

    Ordering by angle (not by coordinate sums) stays a valid cycle for a card turned by 45°.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # image y points down: ascending angle is clockwise
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def _angle(a, b, c) -> float:
    v1, v2 = a - b, c - b
    cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def quad_pose(quad: np.ndarray) -> tuple[float, float, float, float]:
    """(aspect, rotation_deg, corner_deviation_deg, side_ratio) of an ordered quad."""
    tl, tr, br, bl = quad
    top, bottom = np.linalg.norm(tr - tl), np.linalg.norm(br - bl)
    left, right = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    width, height = (top + bottom) / 2, (left + right) / 2
    aspect = max(width, height) / max(min(width, height), 1e-6)
    if width >= height:
        axis = ((tr - tl) + (br - bl)) / 2
    else:
        axis = ((bl - tl) + (br - tr)) / 2
    rotation = float(np.degrees(np.arctan2(axis[1], axis[0])))
    if rotation > 90:
        rotation -= 180
    elif rotation < -90:
        rotation += 180
    corners = [_angle(bl, tl, tr), _angle(tl, tr, br), _angle(tr, br, bl), _angle(br, bl, tl)]
    deviation = max(abs(c - 90) for c in corners)
    side_ratio = min(min(top, bottom) / max(top, bottom, 1e-6), min(left, right) / max(left, right, 1e-6))
    return aspect, rotation, deviation, side_ratio


def _background_residual(lab: np.ndarray) -> np.ndarray:
    """How unlike the background each pixel is, in robust standard deviations of the border.

    The background is modelled from a band along the image border (where a photographed document
    rarely reaches): a quadratic surface per Lab channel (uneven light, vignetting) fitted by
    trimmed least squares, and the spread of the border's residuals around it (a textured wood
    desk gets a wide spread, a plain desk a narrow one).
    """
    h, w = lab.shape[:2]
    band = max(4, round(BORDER_BAND * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:band], border[-band:], border[:, :band], border[:, -band:] = True, True, True, True
    # Every third border pixel: the fit has six coefficients and thousands of samples either way.
    ys, xs = (axis[::3] for axis in np.nonzero(border))
    x, y = xs / w - 0.5, ys / h - 0.5
    design = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=1)
    gx = np.linspace(-0.5, 0.5 - 1 / w, w, dtype=np.float32)[None, :]
    gy = np.linspace(-0.5, 0.5 - 1 / h, h, dtype=np.float32)[:, None]
    score = np.zeros((h, w), np.float32)
    for channel, weight in enumerate((1.0, 1.6, 1.6)):  # chroma differences count more than light
        plane = np.ascontiguousarray(lab[..., channel])
        values = plane[ys, xs].astype(np.float64)
        keep = np.ones(values.shape, bool)
        for _ in range(3):  # trim border pixels that belong to the document or an object
            coef = _least_squares(design[keep], values[keep])
            residual = values - design @ coef
            kept = residual[keep]
            spread = 1.4826 * np.median(np.abs(kept - np.median(kept))) + 1.0
            keep = np.abs(residual) < 3 * spread
        c = coef.astype(np.float32)
        # In place, in the order of (row + column) + cross term: one full-size buffer per channel.
        surface = np.add(c[0] + c[1] * gx + c[3] * gx * gx, c[2] * gy + c[4] * gy * gy)
        surface += c[5] * gx * gy
        np.subtract(plane, surface, out=surface)
        np.abs(surface, out=surface)
        surface *= np.float32(weight / spread)
        np.maximum(score, surface, out=score)
    return score


def _least_squares(design: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of a thin, well-conditioned design (six centred polynomial terms).

    Normal equations: an SVD `lstsq` of thousands of rows costs ~10 ms once a busy machine's BLAS
    threads contend, and this fit runs nine times per side; a 6×6 solve costs a fraction of that.
    """
    return np.linalg.solve(design.T @ design, design.T @ values)


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    flood = mask.copy()
    h, w = mask.shape
    canvas = np.zeros((h + 2, w + 2), np.uint8)
    cv2.floodFill(flood, canvas, (0, 0), 255)
    return mask | cv2.bitwise_not(flood)


def _quads_of(mask: np.ndarray, method: str, min_area: float, mode=cv2.RETR_EXTERNAL) -> list[tuple[np.ndarray, str]]:
    contours, _ = cv2.findContours(mask, mode, cv2.CHAIN_APPROX_SIMPLE)
    proposals = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:8]:
        if cv2.contourArea(contour) < min_area:
            break
        hull = cv2.convexHull(contour)
        quad = cv2.approxPolyN(hull, 4, epsilon_percentage=-1, ensure_convex=True)
        if quad is not None and len(quad.reshape(-1, 2)) == 4:
            proposals.append((quad.reshape(4, 2).astype(np.float64), method))
    return proposals


def _row_extremes(mask: np.ndarray) -> np.ndarray:
    """The leftmost and rightmost set pixel of every row, as contour points.

    Their convex hull is the mask's: a hull vertex is extreme in its own row, or it would lie inside
    the segment between two set pixels of that row. Thousands of points instead of every edge pixel.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    left = mask[rows].argmax(axis=1)
    right = mask.shape[1] - 1 - mask[rows, ::-1].argmax(axis=1)
    xs, ys = np.concatenate([left, right]), np.concatenate([rows, rows])
    return np.stack([xs, ys], axis=1).astype(np.int32).reshape(-1, 1, 2)


def _content_hull(edges: np.ndarray, min_area: float) -> list[tuple[np.ndarray, str]]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    h, w = edges.shape
    x, y, bw, bh, pixels = stats[1:].T
    touches = (x <= 1) | (y <= 1) | (x + bw >= w - 1) | (y + bh >= h - 1)
    keep = np.nonzero(~touches & (pixels >= 12))[0] + 1  # labels; 0 is the background
    if not len(keep):
        return []
    chosen = np.zeros(count, np.uint8)  # a lookup by label: np.isin would sort the whole label image
    chosen[keep] = 255
    mask = chosen[labels]
    hull = cv2.convexHull(_row_extremes(mask))
    if cv2.contourArea(hull) < min_area:
        return []
    quad = cv2.approxPolyN(hull, 4, epsilon_percentage=-1, ensure_convex=True)
    return [(quad.reshape(4, 2).astype(np.float64), "content hull")] if len(quad.reshape(-1, 2)) == 4 else []


def _candidates(gray: np.ndarray, lab: np.ndarray, residual: np.ndarray) -> list[tuple[np.ndarray, str]]:
    h, w = gray.shape
    min_area = 0.5 * threshold("document.min_area_share") * h * w
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    proposals = []
    # 1. Foreground against the modelled background, at two strictness levels.
    for level in (3.0, 6.0):
        mask = (residual > level).astype(np.uint8) * 255
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)
        proposals += _quads_of(_fill_holes(mask), f"background>{level:g}", min_area)
    # 2. Closed outlines in the edge map (a photocopy's card outline, a screen's bezel).
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    # Hysteresis thresholds from the gradient's own distribution, not the brightness: a white
    # photocopy on white paper has a faint outline in a bright image.
    magnitude = cv2.magnitude(cv2.Sobel(blurred, cv2.CV_32F, 1, 0), cv2.Sobel(blurred, cv2.CV_32F, 0, 1))
    high = float(np.clip(np.percentile(magnitude, 90), 40, 200))
    edges = cv2.Canny(blurred, 0.4 * high, high)
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8), iterations=2)
    proposals += _quads_of(_fill_holes(edges), "edges", min_area)
    proposals += _quads_of(edges, "outlines", min_area, mode=cv2.RETR_LIST)
    joined = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, kernel, iterations=2)
    proposals += _quads_of(_fill_holes(joined), "joined edges", min_area)
    # 3. The hull of everything printed: a faint or broken outline still bounds the content.
    proposals += _content_hull(edges, min_area)
    # A faint outline (a white photocopy on white paper) only survives low hysteresis thresholds.
    faint = cv2.Canny(blurred, 8, 24)
    faint = cv2.morphologyEx(faint, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    proposals += _quads_of(faint, "faint outlines", min_area, mode=cv2.RETR_LIST)
    # 4. Bright and dark regions (a card on a screen, a page on a dark desk).
    _, light = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    for mask, method in ((light, "brightness"), (255 - light, "darkness")):
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        proposals += _quads_of(_fill_holes(mask), method, min_area)
    return proposals


def _side_samples(quad: np.ndarray, step: float = 3.0):
    """Points along each side (the straight part, corners are rounded) and the inward unit normals."""
    centre = quad.mean(axis=0)
    points, normals = [], []
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        length = float(np.linalg.norm(b - a))
        if length < 1:
            continue
        t = np.linspace(0.1, 0.9, max(8, int(length / step)))[:, None]
        pts = a + (b - a) * t
        normal = np.array([-(b - a)[1], (b - a)[0]]) / length
        if np.dot(centre - (a + b) / 2, normal) < 0:
            normal = -normal
        points.append(pts)
        normals.append(np.repeat(normal[None, :], len(pts), axis=0))
    return np.concatenate(points), np.concatenate(normals)


def _sample(image: np.ndarray, pts: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    xs = np.clip(pts[:, 0].round().astype(int), 0, w - 1)
    ys = np.clip(pts[:, 1].round().astype(int), 0, h - 1)
    return image[ys, xs]


def _edge_support(lab: np.ndarray, gray: np.ndarray, quad: np.ndarray, offset: float = 3.0, samples=None) -> float:
    """Share of the outline where the document visibly ends: a colour step or a drawn outline.

    A step: the colour just inside differs from the colour just outside (contrast across the side,
    not gradient strength: a white card on a light desk has a weak but consistent step all around,
    a textured desk has strong gradients everywhere but no consistent step). An outline: a thin
    line darker than both sides (a photocopied card on white paper).
    """
    pts, normals = samples if samples is not None else _side_samples(quad)
    inside = _sample(lab, pts + normals * offset)
    outside = _sample(lab, pts - normals * offset)
    step = np.linalg.norm(inside - outside, axis=1) > EDGE_STEP
    profile = np.stack([_sample(gray, pts + normals * k) for k in (-2, -1, 0, 1, 2)]).astype(np.float32)
    sides = np.minimum(_sample(gray, pts + normals * offset), _sample(gray, pts - normals * offset))
    line = sides.astype(np.float32) - profile.min(axis=0) > OUTLINE_STEP
    return float(np.mean(step | line))


def _outside_is_background(residual: np.ndarray, quad: np.ndarray, offset: float = 6.0, samples=None) -> float:
    """Share of a band just outside the quad that looks like the modelled background.

    Low for a part of the document (a card body below its coloured header) and for a card shown
    on a screen (dark screen around it); high for the document lying on a desk.
    """
    pts, normals = samples if samples is not None else _side_samples(quad)
    return float(np.mean(_sample(residual, pts - normals * offset) < 3.0))


def _ring_is_plain(gray: np.ndarray, outer: np.ndarray, inner: np.ndarray) -> bool:
    """Nothing printed between two nested quads: a screen's dark margin, not a document's content.

    Plain: nearly every pixel of the ring is close to the ring's median (a status bar or a
    bezel's icon may break it in a few places).
    """
    h, w = gray.shape
    ring = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(ring, outer.round().astype(np.int32), 255)
    cv2.fillConvexPoly(ring, inner.round().astype(np.int32), 0)
    ring = cv2.erode(ring, np.ones((7, 7), np.uint8))
    if cv2.countNonZero(ring) < 50:
        return False
    values = gray[ring > 0].astype(np.float32)
    return float(np.mean(np.abs(values - np.median(values)) < 25)) > 0.9


def _inside(outer: np.ndarray, inner: np.ndarray, margin: float = 2.0) -> bool:
    contour = outer.astype(np.float32).reshape(-1, 1, 2)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= margin for x, y in inner)


def _aspect_fit(aspect: float) -> float:
    """1 near an ID-1 card (1.586) or a TD3 page (1.42), falling off outside; foreshortening widens it."""
    if ASPECT_MIN <= aspect <= ASPECT_MAX:
        return 1.0
    distance = ASPECT_MIN - aspect if aspect < ASPECT_MIN else aspect - ASPECT_MAX
    return float(max(0.0, 1 - distance / 0.4))


@dataclass
class _Candidate:
    quad: np.ndarray
    method: str
    share: float
    rectangularity: float
    pose: tuple[float, float, float, float]
    support: float
    score: float


def _score_candidates(proposals, lab, gray, residual, gradient=None) -> list[_Candidate]:
    image_area = lab.shape[0] * lab.shape[1]
    scored, seen, proposed = [], [], []
    for quad, method in proposals:
        quad = order_quad(quad)
        if any(np.array_equal(quad, other) for other in proposed):
            continue  # segmentations often propose the very same quad: refining it again gives the same
        proposed.append(quad)
        if gradient is not None:
            quad = _refine(quad, gradient)
        if any(np.abs(quad - other).max() < 1.5 for other in seen):
            continue  # the same quad from another segmentation
        seen.append(quad)
        area = cv2.contourArea(quad.astype(np.float32))
        share = area / image_area
        if share < threshold("document.min_area_share") or share > 0.97:
            continue
        (_, _), (w, h), _ = cv2.minAreaRect(quad.astype(np.float32))
        rectangularity = area / max(w * h, 1e-6)
        if rectangularity < threshold("document.min_rectangularity"):
            continue
        pose = quad_pose(quad)
        fit = _aspect_fit(pose[0])
        if fit <= 0:
            continue
        samples = _side_samples(quad)  # both measures walk the same outline
        support = _edge_support(lab, gray, quad, samples=samples)
        background = _outside_is_background(residual, quad, samples=samples)
        score = support * fit * rectangularity * share ** 0.25 * (0.5 + 0.5 * background)
        scored.append(_Candidate(quad, method, share, rectangularity, pose, support, score))
    return sorted(scored, key=lambda c: c.score, reverse=True)


def _line_intersection(l1, l2) -> np.ndarray | None:
    (vx1, vy1, x1, y1), (vx2, vy2, x2, y2) = l1, l2
    matrix = np.array([[vx1, -vx2], [vy1, -vy2]], dtype=np.float64)
    if abs(np.linalg.det(matrix)) < 1e-6:
        return None
    t, _ = np.linalg.solve(matrix, np.array([x2 - x1, y2 - y1], dtype=np.float64))
    return np.array([x1 + t * vx1, y1 + t * vy1])


def _refine(quad: np.ndarray, gradient: np.ndarray, search: int = 6) -> np.ndarray:
    """Snap each side to the strongest edge within `search` px along its normal, then re-intersect.

    Segmentation masks are morphologically closed and hulls over-reach at rounded corners; the
    image edge itself is the better estimate of where the document ends.
    """
    centre = quad.mean(axis=0)
    offsets = np.arange(-search, search + 1)
    sides = []
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        length = float(np.linalg.norm(b - a))
        if length < 10:
            return quad
        t = np.linspace(0.12, 0.88, max(8, int(length / 3)))[:, None]
        pts = a + (b - a) * t
        normal = np.array([-(b - a)[1], (b - a)[0]]) / length
        if np.dot(centre - (a + b) / 2, normal) < 0:
            normal = -normal
        sides.append((pts, normal, pts[None, :, :] + offsets[:, None, None] * normal))  # (offsets, points, 2)
    # The four sides' shifted points sampled in one call: this runs for every proposal.
    sampled = _sample(gradient, np.concatenate([shifted.reshape(-1, 2) for _, _, shifted in sides]))
    lines, start = [], 0
    for pts, normal, shifted in sides:
        count = shifted.shape[0] * shifted.shape[1]
        responses = sampled[start:start + count].reshape(len(offsets), len(pts))
        start += count
        best = responses.argmax(axis=0)
        strong = responses.max(axis=0) > max(8.0, float(np.median(responses)))
        if strong.sum() < max(6, 0.3 * len(pts)):
            return quad
        moved = pts[strong] + normal * offsets[best[strong]][:, None]
        vx, vy, x0, y0 = cv2.fitLine(moved.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((vx, vy, x0, y0))
    corners = [_line_intersection(lines[i - 1], lines[i]) for i in range(4)]
    if any(c is None for c in corners):
        return quad
    refined = np.array(corners)
    if np.abs(refined - quad).max() > 3 * search:
        return quad  # a side snapped to something else (a header stripe): keep the proposal
    return order_quad(refined)


def document_detect(image: AnalysisImage) -> DocumentDetection | None:
    """The most document-like quadrilateral in the image, or None.

    Candidates come from several segmentations (background model, edges, brightness); each is
    scored by the contrast along its outline, its rectangularity, its aspect ratio, its size and
    whether what lies just outside it is background. A plainly framed inner candidate (a card
    shown on a screen) replaces the frame around it.
    """
    gray = image.gray
    factor = min(1.0, WORK_SIDE / max(gray.shape))
    if factor < 1:
        small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        rgb = cv2.resize(image.rgb, small.shape[::-1], interpolation=cv2.INTER_AREA)
    else:
        small, rgb = gray, image.rgb
    lab = cv2.cvtColor(cv2.medianBlur(rgb, 5), cv2.COLOR_RGB2LAB).astype(np.float32)
    residual = _background_residual(lab)
    gradient = cv2.magnitude(*(cv2.Sobel(cv2.GaussianBlur(small, (3, 3), 0), cv2.CV_32F, dx, 1 - dx) for dx in (1, 0)))
    candidates = _score_candidates(_candidates(small, lab, residual), lab, small, residual, gradient)
    minimum = threshold("document.min_edge_support")
    candidates = [c for c in candidates if c.support >= minimum]
    if not candidates:
        return None
    best = candidates[0]
    for inner in candidates[1:]:
        ratio = inner.share / best.share
        if (0.3 <= ratio <= 0.85 and _aspect_fit(inner.pose[0]) >= 0.9 and inner.support >= 0.8
                and _inside(best.quad, inner.quad) and _ring_is_plain(small, best.quad, inner.quad)):
            best = inner
            break
    aspect, rotation, deviation, side_ratio = best.pose
    return DocumentDetection(
        quad=best.quad / factor, area_share=best.share, rectangularity=best.rectangularity, aspect=aspect,
        rotation_deg=rotation, corner_deviation_deg=deviation, side_ratio=side_ratio, method=best.method,
        edge_support=best.support,
    )


def document_warp(image: AnalysisImage, detection: DocumentDetection, *, width: int = 1000) -> np.ndarray:
    """The document rectified to a fronto-parallel RGB crop `width` pixels wide."""
    return document_rectify(image, detection, width=width)[0]


def document_rectify(image: AnalysisImage, detection: DocumentDetection, *,
                     width: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """(crop, matrix): the rectified crop and the homography analysis pixels -> crop pixels."""
    quad = detection.quad.astype(np.float32)
    tl, tr, br, bl = quad
    w = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    h = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    if h > w:  # portrait-held card: rotate so the long side is horizontal
        quad = np.array([bl, tl, tr, br], dtype=np.float32)
        w, h = h, w
    height = max(1, round(width * h / max(w, 1)))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(image.rgb, matrix, (width, height), flags=cv2.INTER_LINEAR), matrix
