"""Assembling a generated document: holder, artwork, defects, capture, encoding, ground truth."""

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

import cv2
import numpy as np
from PIL import Image, ImageDraw

from . import capture
from .card import CardSide, card_back, card_front, font, format_date, mrz_font_is_ocrb
from .defects import CAPTURE_MODES, DEFECTS, defect_applies, defects_check, defects_compatible
from .face import face_render
from .identity import (
    DEFAULT_COUNTRY,
    DEFAULT_STATE,
    DL_COUNTRIES,
    JURISDICTIONS,
    KINDS,
    REFERENCE_DATE,
    SURNAMES,
    VALIDITY_YEARS,
    Identity,
    aamva_text,
    add_years,
    identity_create,
    identity_override,
    mrz_td1,
    mrz_td3,
    mrz_with_check_digit,
)

# Independent random streams per concern, so adding a defect never changes the holder or the scene.
STREAMS = {"identity": 1, "front_card": 2, "back_card": 3, "front_shot": 4, "back_shot": 5, "camera": 6,
           "defect": 7, "other": 8, "edit": 9, "desk": 10}
# A published specimen is one fixed image per kind and issuer: a fixed seed and fixed holder.
SPECIMEN_SEED = 9303
SPECIMEN_FIELDS = {
    "passport": {"surname": "ERIKSSON", "given_names": "ANNA MARIA", "document_number": "L898902C3",
                 "personal_number": "ZE184226B", "birth_date": "1974-08-12", "sex": "F",
                 "issue_date": "2024-04-16", "expiry_date": "2034-04-15"},
    "id_card": {"surname": "ERIKSSON", "given_names": "ANNA MARIA", "document_number": "D23145890",
                "personal_number": "734921500", "birth_date": "1974-08-12", "sex": "F",
                "issue_date": "2024-04-16", "expiry_date": "2034-04-15"},
    "drivers_license": {"surname": "SAMPLE", "given_names": "JANE QUINN", "document_number": "I1234568",
                        "birth_date": "1977-08-31", "sex": "F", "issue_date": "2025-08-31",
                        "expiry_date": "2030-08-31"},
}
OTHER_COUNTRIES = ("FRA", "DEU", "NLD", "ESP", "ITA", "POL", "SWE", "PRT")
EDITOR_SOFTWARE = "Adobe Photoshop 25.0"


@dataclass
class GeneratedDocument:
    kind: str  # "passport" | "id_card" | "drivers_license"
    country: str  # ISO alpha-3 issuer
    front: bytes  # the encoded image a phone would send (JPEG; PNG for a screenshot)
    back: bytes | None  # id_card: TD1 MRZ back; drivers_license: PDF417 back; passport: None
    truth: dict  # every printed/encoded field and the regions, in the returned images' pixels
    defects: tuple[str, ...]


def _stream(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS[name]])


def _pick(rng: np.random.Generator, options, exclude=None):
    options = [o for o in options if o != exclude]
    return options[int(rng.integers(len(options)))]


def _expired(identity: Identity, rng: np.random.Generator) -> Identity:
    expiry = REFERENCE_DATE - timedelta(days=int(rng.integers(60, 4 * 365)))
    issue = add_years(expiry, -VALIDITY_YEARS[identity.kind]) + timedelta(days=1)
    return replace(identity, expiry_date=expiry, issue_date=issue)


def _back_identity(identity: Identity, flags: set[str], rng: np.random.Generator) -> Identity:
    """What the back's MRZ or barcode says; differs from the front only under a back_* defect."""
    back = identity
    if "back_country_mismatch" in flags:
        if identity.kind == "drivers_license":
            country = _pick(rng, DL_COUNTRIES, exclude=identity.country)
            back = replace(back, country=country, state=DEFAULT_STATE[country], nationality=country)
        else:
            back = replace(back, country=_pick(rng, ("UTO", *OTHER_COUNTRIES), exclude=identity.country))
    if "back_name_mismatch" in flags:
        back = replace(back, surname=_pick(rng, SURNAMES, exclude=identity.surname))
    if "back_dob_mismatch" in flags:
        shift = int(rng.integers(400, 12 * 365)) * int(rng.choice((-1, 1)))
        birth = identity.birth_date + timedelta(days=shift)
        if birth > REFERENCE_DATE - timedelta(days=18 * 365):
            birth = identity.birth_date - timedelta(days=abs(shift))
        back = replace(back, birth_date=birth)
    return back


def _back_truth(back: Identity, *, document_code: str, source: str) -> dict:
    return {
        "source": source,  # "mrz" | "aamva"
        "document_code": document_code,
        "issuing_state": back.country,
        "surname": back.surname,
        "given_names": back.given_names,
        "document_number": back.document_number,
        "birth_date": back.birth_date.isoformat(),
        "expiry_date": back.expiry_date.isoformat(),
        "sex": back.sex,
        "state": back.state,
    }


def _capture(side: CardSide, rng: np.random.Generator, flags: set[str], desk: np.ndarray | None) -> capture.Shot:
    """Photograph one side; `desk` is the document's table top, shared by both sides' photos."""
    card, alpha = side.image, side.alpha
    options = {"tilted": "tilted" in flags, "blurred": "blurred" in flags, "glare": "glare" in flags}
    background = None
    if desk is not None:  # the phone moved a little between the two photos: another crop of the same desk
        fw, fh = capture.PHOTO_SIZE
        ox, oy = int(rng.integers(0, desk.shape[1] - fw + 1)), int(rng.integers(0, desk.shape[0] - fh + 1))
        background = desk[oy:oy + fh, ox:ox + fw].copy()
    if "screenshot" in flags:
        return capture.screenshot(card, alpha, rng)
    if "screen_moire" in flags:
        return capture.screen_photo(card, alpha, rng, **options)
    if "device_frame" in flags:
        rgb, body, transform = capture.device_subject(card, alpha, rng)
        shot = capture.photo(rgb, body, rng, card_transform=transform, card_size=card.shape[1::-1],
                             background=background, **options)
        shot.info["mode"] = "device"
        return shot
    if "grayscale" in flags:
        return capture.photo(capture.photocopy_card(card, alpha, rng), alpha, rng, photocopy=True, **options)
    return capture.photo(card, alpha, rng, background=background, **options)


def _box(points: np.ndarray, size: tuple[int, int]) -> list[int]:
    w, h = size
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return [int(max(0, np.floor(x0))), int(max(0, np.floor(y0))), int(min(w, np.ceil(x1))), int(min(h, np.ceil(y1)))]


def _quad(points: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in points]


def _side_regions(side: CardSide, shot: capture.Shot) -> tuple[dict, dict, list]:
    """(boxes by name, quads by name, document quad) in the shot's pixels."""
    size = shot.image.shape[1::-1]
    boxes, quads = {}, {}
    for name, box in side.regions.items():
        pts = capture.points_transform(shot.transform, capture.box_corners(box))
        boxes[name], quads[name] = _box(pts, size), _quad(pts)
    h, w = side.image.shape[:2]
    document = _quad(capture.points_transform(shot.transform, capture.box_corners((0, 0, w, h))))
    return boxes, quads, document


def _paste(shot: capture.Shot, patch: np.ndarray, card_xy: tuple[float, float]) -> list[int]:
    """Paste a card-space patch into the shot with a hard edge, after the capture's blur and noise."""
    h, w = shot.image.shape[:2]
    offset = np.array([[1, 0, card_xy[0]], [0, 1, card_xy[1]], [0, 0, 1]], np.float64)
    matrix = shot.transform @ offset
    warped = cv2.warpPerspective(patch, matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full(patch.shape[:2], 255, np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST)
    if shot.info.get("mode") == "photocopy":
        warped = np.repeat(cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    shot.image[mask > 0] = warped[mask > 0]
    ph, pw = patch.shape[:2]
    return _box(capture.points_transform(matrix, capture.box_corners((0, 0, pw, ph))), (w, h))


def _pasted_value(field_name: str, identity: Identity, rng: np.random.Generator, style: str) -> str:
    if field_name == "surname":
        return _pick(rng, SURNAMES, exclude=identity.surname)
    if field_name == "document_number":
        chars = list(identity.document_number)
        for i in rng.choice(np.arange(len(chars) - 4, len(chars)), 2, replace=False):
            chars[i] = str((int(chars[i]) + int(rng.integers(1, 9))) % 10) if chars[i].isdigit() else "7"
        return "".join(chars)
    if field_name == "birth_date":
        day = identity.birth_date
        return format_date(day.replace(year=day.year - int(rng.integers(3, 12)), day=min(day.day, 28)), style)
    day = identity.expiry_date
    return format_date(day.replace(year=day.year + int(rng.integers(4, 10)), day=min(day.day, 28)), style)


def _edit_pasted_text(side: CardSide, shot: capture.Shot, identity: Identity, rng, missing: set[str], truth: dict):
    """Replace one printed value by a flat rectangle and crisp re-typed text, as an image editor would."""
    choices = [f for f in ("document_number", "birth_date", "expiry_date", "surname")
               if f not in missing and side.printed.get(f)]
    field_name = _pick(rng, choices)
    style = identity.country if identity.kind == "drivers_license" else "ICAO"
    value = _pasted_value(field_name, identity, rng, style)
    path, size, fill, (tx, ty) = side.styles[field_name]
    x0, y0, x1, y1 = side.regions[f"field:{field_name}"]
    forged_font = font(path, size + int(rng.choice((-1, 0, 1))))
    width = max(x1, tx + forged_font.getlength(value)) - x0
    px0, py0 = int(x0) - 6, int(y0) - 6
    patch_w, patch_h = int(width) + 14, int(y1 - y0) + 12
    region = side.image[max(0, py0):py0 + patch_h, max(0, px0):px0 + patch_w].reshape(-1, 3)
    flat = tuple(int(v) for v in np.percentile(region, 90, axis=0))  # the forger's eyedropper: paper colour
    patch = Image.new("RGB", (patch_w, patch_h), flat)
    ImageDraw.Draw(patch).text((tx - px0, ty - py0), value, font=forged_font, fill=(0, 0, 0), anchor="la")
    truth["regions"]["pasted"] = _paste(shot, np.asarray(patch), (px0, py0))
    truth["printed"][field_name] = value
    truth["pasted_field"] = field_name


def _edit_replaced_portrait(side: CardSide, shot: capture.Shot, rng, truth: dict) -> None:
    """A different face with its own noise and JPEG history, pasted over the portrait with a hard edge."""
    x0, y0, x1, y1 = side.regions["portrait"]
    face = face_render(rng, int(x1 - x0), int(y1 - y0))
    face = np.clip(face + rng.standard_normal(face.shape, dtype=np.float32) * 6.0, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(face).save(buf, "JPEG", quality=int(rng.integers(55, 70)))
    face = np.asarray(Image.open(buf).convert("RGB"))
    truth["regions"]["replaced_portrait"] = _paste(shot, face, (x0, y0))


def _edit_copy_move(side: CardSide, shot: capture.Shot, rng, missing: set[str], truth: dict) -> None:
    """Clone one printed value's pixels over another field, as a clone-stamp forgery does."""
    pairs = [(a, b) for a, b in (("issue_date", "expiry_date"), ("birth_date", "issue_date"),
                                 ("given_names", "surname"), ("issue_date", "birth_date"))
             if f"field:{a}" in side.regions and f"field:{b}" in side.regions and not {a, b} & missing
             and side.printed.get(a) and side.printed.get(b)]
    source, target = pairs[int(rng.integers(len(pairs)))]
    boxes, _, _ = _side_regions(side, shot)
    sx0, sy0, sx1, sy1 = boxes[f"field:{source}"]
    tx0, ty0 = boxes[f"field:{target}"][:2]
    pad = 4
    sx0, sy0, sx1, sy1 = sx0 - pad, sy0 - pad, sx1 + pad, sy1 + pad
    tx0, ty0 = tx0 - pad, ty0 - pad
    h, w = shot.image.shape[:2]
    cw, ch = min(sx1 - sx0, w - tx0), min(sy1 - sy0, h - ty0)
    shot.image[ty0:ty0 + ch, tx0:tx0 + cw] = shot.image[sy0:sy0 + ch, sx0:sx0 + cw].copy()
    truth["regions"]["copy_source"] = [sx0, sy0, sx0 + cw, sy0 + ch]
    truth["regions"]["copy_target"] = [tx0, ty0, tx0 + cw, ty0 + ch]
    truth["printed"][target] = side.printed[source]
    truth["copy_move_fields"] = [source, target]


def _encode(shot: capture.Shot, camera: dict, rng: np.random.Generator, flags: set[str], *,
            thumbnail_of: np.ndarray | None = None) -> tuple[bytes, dict]:
    if shot.info.get("mode") == "screenshot":
        return capture.png_encode(shot.image), {"format": "PNG", "exif": False}
    size = shot.image.shape[1::-1]
    thumbnail = capture.thumbnail_jpeg(thumbnail_of if thumbnail_of is not None else shot.image)
    quality, subsampling = int(rng.integers(88, 93)), 2
    software = xmp = None
    if "edited_metadata" in flags:
        software = EDITOR_SOFTWARE
        xmp = capture.xmp_packet(f"{EDITOR_SOFTWARE} (Windows)", camera["taken"])
    if "edited_metadata" in flags or thumbnail_of is not None:
        quality, subsampling = 95, 0  # re-saved by an editor: high quality, no chroma subsampling
    exif = capture.exif_bytes(camera, size, software=software, thumbnail=thumbnail)
    data = capture.jpeg_encode(shot.image, quality=quality, exif=exif, xmp=xmp, subsampling=subsampling)
    return data, {"format": "JPEG", "exif": True, "quality": quality, "camera": f"{camera['make']} {camera['model']}"}


def _no_document(kind: str, country: str, seed: int, flags: set[str]) -> GeneratedDocument:
    camera = capture.camera_metadata(_stream(seed, "camera"))
    shot = capture.no_document_photo(_stream(seed, "front_shot"))
    front, file_info = _encode(shot, camera, _stream(seed, "front_shot"), flags)
    back = None
    if kind != "passport":
        back_shot = capture.no_document_photo(_stream(seed, "back_shot"))
        back, _ = _encode(back_shot, camera, _stream(seed, "back_shot"), flags)
    truth = {"document_present": False, "kind": kind, "country": country, "regions": {}, "printed": {},
             "mrz_lines": [], "aamva": None, "capture": {"front": {**shot.info, **file_info}}}
    return GeneratedDocument(kind=kind, country=country, front=front, back=back, truth=truth,
                             defects=tuple(sorted(flags)))


def generate_document(kind: str = "passport", *, country: str | None = None, seed: int = 0, defects=(),
                      **field_overrides) -> GeneratedDocument:
    """Render one document photo (and its back) with the given defects; see the package docstring.

    `country` defaults to UTO for passports and ID cards and USA for driving licences. Field
    overrides (surname, given_names, document_number, birth_date, state, ...) replace the random
    holder's values; dates may be `date`s or ISO strings. Raises ValueError on an unknown kind,
    country (licences: USA, CAN, MEX), defect or an impossible combination of defects.
    """
    chosen = defects_check(kind, defects)
    flags = set(chosen)
    country = (country or DEFAULT_COUNTRY[kind]).upper()
    if kind == "drivers_license" and country not in DL_COUNTRIES:
        raise ValueError(f"driving licences are issued by {DL_COUNTRIES}, not {country!r}")
    if len(country) != 3 or not country.isalpha():
        raise ValueError(f"country must be an ISO 3166 alpha-3 code, not {country!r}")
    user_overrides = dict(field_overrides)
    if "specimen" in flags:
        seed = SPECIMEN_SEED
        field_overrides = {**SPECIMEN_FIELDS[kind], **field_overrides}
    if "not_a_document" in flags:
        return _no_document(kind, country, seed, flags)
    if "state" in field_overrides and field_overrides["state"] not in JURISDICTIONS:
        raise ValueError(f"unknown jurisdiction {field_overrides['state']!r}; known: {sorted(JURISDICTIONS)}")

    defect_rng = _stream(seed, "defect")
    identity = identity_override(identity_create(kind, country, rng=_stream(seed, "identity")), field_overrides)
    if flags & {"expired", "expired_printed_only"} and "expiry_date" not in user_overrides:
        identity = _expired(identity, defect_rng)
    missing = set()
    for defect in chosen:
        if defect.startswith("missing_field:"):
            name = defect.split(":", 1)[1]
            missing |= {"surname", "given_names"} if name == "name" else {name}

    # what the machine-readable parts carry
    machine_readable = not flags & {"no_mrz", "expired_printed_only", "no_barcode"}
    back_identity = _back_identity(identity, flags, defect_rng) if kind != "passport" else identity
    mrz_lines, aamva, back_truth, document_code = [], None, None, ""
    if kind == "passport" and machine_readable:
        mrz_lines, document_code = mrz_td3(identity), "P"
    elif kind == "id_card" and machine_readable:
        mrz_lines, document_code = mrz_td1(back_identity), "I"
    elif kind == "drivers_license" and machine_readable and "mismatched_back" not in flags:
        aamva = aamva_text(back_identity)
    other = None
    if "mismatched_back" in flags:  # the back of someone else's document of another type and issuer
        other_rng = _stream(seed, "other")
        other = identity_create("id_card", _pick(other_rng, OTHER_COUNTRIES, exclude=country), rng=other_rng)
        document_code = "IR" if kind == "id_card" else "I"
        mrz_lines, back_identity = mrz_td1(other, document_code=document_code), other
    if "wrong_check_digit" in flags:
        failed = _pick(defect_rng, ("document_number", "birth_date"))
        mrz_lines = mrz_with_check_digit(mrz_lines, failed)
    if mrz_lines and kind != "passport":
        back_truth = _back_truth(back_identity, document_code=document_code, source="mrz")
    elif aamva:
        back_truth = _back_truth(back_identity, document_code="DL", source="aamva")

    specimen = "specimen" in flags
    front_side, _ = card_front(identity, rng=_stream(seed, "front_card"), missing=frozenset(missing),
                               mrz_lines=mrz_lines if kind == "passport" else None, specimen=specimen)
    back_side = None
    if kind != "passport":
        printed_by = other if other is not None else identity
        back_side = card_back(printed_by, rng=_stream(seed, "back_card"),
                              mrz_lines=mrz_lines if kind == "id_card" or other is not None else None,
                              aamva=aamva, specimen=specimen)

    desk = None
    if not flags & {"screenshot", "screen_moire", "grayscale"}:
        fw, fh = capture.PHOTO_SIZE
        desk = capture.desk_texture(_stream(seed, "desk"), (fw + 160, fh + 100))
    front_shot = _capture(front_side, _stream(seed, "front_shot"), flags, desk)
    back_shot = _capture(back_side, _stream(seed, "back_shot"), flags, desk) if back_side is not None else None

    truth = {
        "document_present": True,
        **identity.truth(),
        "printed": dict(front_side.printed),
        "mrz_lines": list(mrz_lines),
        "mrz_side": ("front" if kind == "passport" else "back") if mrz_lines else None,
        "mrz_font": "OCR-B" if mrz_font_is_ocrb() else "DejaVu Sans Mono (fallback, not OCR-B)",
        "aamva": aamva,
        "back_fields": back_truth,
        "reference_date": REFERENCE_DATE.isoformat(),
        "regions": {},
    }
    if "wrong_check_digit" in flags:
        truth["mrz_failed_check"] = failed
    boxes, quads, document_quad = _side_regions(front_side, front_shot)
    regions = truth["regions"]
    regions["document_quad"] = document_quad
    regions["fields"] = {name.split(":", 1)[1]: box for name, box in boxes.items() if name.startswith("field:")}
    regions["quads"] = {name: quad for name, quad in quads.items() if not name.startswith("field:")}
    regions.update({name: box for name, box in boxes.items() if not name.startswith("field:")})
    if back_shot is not None:
        back_boxes, back_quads, back_quad = _side_regions(back_side, back_shot)
        regions["back_document_quad"] = back_quad
        regions.update(back_boxes)
        regions["quads"].update(back_quads)
    if "glare_box" in front_shot.info:
        regions["glare"] = front_shot.info["glare_box"]

    edit_rng = _stream(seed, "edit")
    if "pasted_text" in flags:
        _edit_pasted_text(front_side, front_shot, identity, edit_rng, missing, truth)
    if "replaced_portrait" in flags:
        _edit_replaced_portrait(front_side, front_shot, edit_rng, truth)
    if "copy_move" in flags:
        _edit_copy_move(front_side, front_shot, edit_rng, missing, truth)

    camera = capture.camera_metadata(_stream(seed, "camera"))
    thumbnail_of = None
    if "thumbnail_mismatch" in flags:  # the camera thumbnail of another document's photo
        other_rng = _stream(seed, "other")
        stranger = identity_create(kind, country, rng=other_rng)
        stranger_side, _ = card_front(stranger, rng=other_rng, mrz_lines=mrz_td3(stranger) if kind == "passport"
                                      else None)
        thumbnail_of = capture.thumbnail_scene(stranger_side.image, stranger_side.alpha, other_rng)
    front, front_file = _encode(front_shot, camera, _stream(seed, "front_shot"), flags, thumbnail_of=thumbnail_of)
    truth["capture"] = {"front": {**front_shot.info, **front_file}}
    back = None
    if back_shot is not None:
        back, back_file = _encode(back_shot, camera, _stream(seed, "back_shot"), flags)
        truth["capture"]["back"] = {**back_shot.info, **back_file}
    truth["front_size"] = list(front_shot.image.shape[1::-1])
    truth["back_size"] = list(back_shot.image.shape[1::-1]) if back_shot is not None else None
    return GeneratedDocument(kind=kind, country=country, front=front, back=back, truth=truth, defects=chosen)


def generate_corpus(*, count: int, seed: int = 0, kinds=KINDS, defects=DEFECTS,
                    genuine_share: float = 0.5) -> Iterator[GeneratedDocument]:
    """`count` documents: about `genuine_share` of them genuine, the rest with one defect (sometimes two).

    Kinds and defects are drawn from the given lists; a defect is only paired with a kind it applies to.
    """
    rng = np.random.default_rng([seed, 1000])
    kinds = tuple(kinds)
    defects = tuple(defects)
    for _ in range(count):
        doc_seed = int(rng.integers(2**31))
        kind = kinds[int(rng.integers(len(kinds)))]
        chosen: tuple[str, ...] = ()
        if rng.random() >= genuine_share:
            usable = [k for k in kinds if any(defect_applies(d, k) for d in defects)]
            if usable:
                if kind not in usable:
                    kind = usable[int(rng.integers(len(usable)))]
                candidates = [d for d in defects if defect_applies(d, kind)]
                chosen = (candidates[int(rng.integers(len(candidates)))],)
                extras = [d for d in candidates if d in (*CAPTURE_MODES, "blurred", "glare", "tilted")
                          and defects_compatible(kind, (*chosen, d))]
                if extras and rng.random() < 0.2:
                    chosen += (extras[int(rng.integers(len(extras)))],)
        if kind == "drivers_license":
            country = DL_COUNTRIES[int(rng.integers(len(DL_COUNTRIES)))]
        else:
            country = "UTO" if rng.random() < 0.6 else OTHER_COUNTRIES[int(rng.integers(len(OTHER_COUNTRIES)))]
        yield generate_document(kind, country=country, seed=doc_seed, defects=chosen)


