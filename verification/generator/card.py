"""Document artwork: the flat, print-resolution image of each side before it is photographed.

Sizes follow ISO/IEC 7810 at 11.8 px/mm: ID-1 cards (85.6 x 54 mm) are 1010x637, the TD3
passport data page (125 x 88 mm) 1476x1038. MRZ characters sit on the ICAO 2.54 mm pitch (30 px).
"""

import colorsys
import functools
import os
from dataclasses import dataclass, field
from datetime import date

import cv2
import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from .face import face_render
from .identity import JURISDICTIONS, Identity, country_name, design_seed

ID1_SIZE = (1010, 637)
TD3_SIZE = (1476, 1038)
MRZ_PITCH = 30
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
SANS = os.path.join(FONT_DIR, "DejaVuSans.ttf")
SANS_BOLD = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf")
SANS_MONO = os.path.join(FONT_DIR, "DejaVuSansMono.ttf")
OCRB = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
INK = (28, 28, 38)
RED_INK = (170, 20, 30)


def mrz_font_is_ocrb() -> bool:
    return os.path.exists(OCRB)


@functools.lru_cache(maxsize=64)
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    if not os.path.exists(path):  # no DejaVu (or OCR-B) on this machine: Pillow's own scalable font
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=8)
def mrz_font(pitch: int) -> ImageFont.FreeTypeFont:
    """OCR-B (or the mono fallback) sized so one character advances exactly `pitch` pixels."""
    path = OCRB if mrz_font_is_ocrb() else SANS_MONO
    advance = font(path, 100).getlength("0") / 100
    return font(path, int(round(pitch / advance)))


@dataclass(frozen=True)
class Design:
    """What every document of one kind and issuer shares: colours and security-pattern shapes."""

    seed: int
    base: tuple  # two pastel background colours (gradient ends)
    lines: tuple  # guilloche line colours
    header: tuple
    label: tuple


@dataclass
class CardSide:
    image: np.ndarray  # RGB uint8
    alpha: np.ndarray  # uint8, 255 on the card, 0 outside its rounded corners
    regions: dict[str, list[float]] = field(default_factory=dict)  # name -> [x0, y0, x1, y1] in card pixels
    printed: dict[str, str] = field(default_factory=dict)
    styles: dict[str, tuple] = field(default_factory=dict)  # field -> (font path, size, colour) it was printed in


def _hsv(h: float, s: float, v: float) -> tuple:
    return tuple(int(c * 255) for c in colorsys.hsv_to_rgb(h % 1.0, s, v))


@functools.lru_cache(maxsize=64)
def design_for(kind: str, country: str, state: str = "") -> Design:
    seed = design_seed(kind, country, state)
    rng = np.random.default_rng(seed)
    hue = rng.random()
    return Design(
        seed=seed,
        base=(_hsv(hue, 0.10, 0.97), _hsv(hue + rng.uniform(0.08, 0.2), 0.13, 0.95)),
        lines=tuple(_hsv(hue + off, rng.uniform(0.25, 0.4), 0.86) for off in (0.0, rng.uniform(0.3, 0.6), 0.85)),
        header=_hsv(hue + rng.uniform(-0.05, 0.05), 0.65, 0.42),
        label=_hsv(hue, 0.55, 0.42),
    )


def format_date(day: date | None, style: str) -> str:
    if day is None:
        return ""
    if style == "USA":
        return day.strftime("%m/%d/%Y")
    if style == "CAN":
        return day.strftime("%Y/%m/%d")
    if style == "MEX":
        return day.strftime("%d/%m/%Y")
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def _guilloche(img: np.ndarray, design: Design) -> None:
    """Overlaid sine bands and rosettes in thin anti-aliased pastel lines, drawn in place."""
    rng = np.random.default_rng(design.seed)
    h, w = img.shape[:2]
    x = np.linspace(-10, w + 10, 360)
    for band, color in enumerate(design.lines[:2]):
        lam, amp = rng.uniform(0.25, 0.5) * w, rng.uniform(0.04, 0.09) * h
        step, drift = rng.uniform(7, 10) * w / 1010, rng.uniform(0.04, 0.12)
        polys = []
        for k in range(int(h * 1.5 / step)):
            y = (-0.25 * h + k * step + amp * np.sin(2 * np.pi * x / lam + k * drift)
                 + 0.35 * amp * np.sin(2 * np.pi * x / (lam * 0.37) + band + k * drift * 2))
            polys.append((np.stack([x, y], axis=1) * 16).astype(np.int32))
        cv2.polylines(img, polys, False, color, 1, cv2.LINE_AA, shift=4)
    t = np.linspace(0, 2 * np.pi, 1500)
    for _ in range(2):
        cx, cy = rng.uniform(0.5, 0.95) * w, rng.uniform(0.3, 0.8) * h
        radius = rng.uniform(0.16, 0.28) * h
        amp, lobes, copies = radius * rng.uniform(0.2, 0.35), int(rng.integers(7, 13)), 40
        polys = []
        for k in range(copies):
            r = radius + amp * np.sin(lobes * t) + 0.25 * amp * np.sin(3 * lobes * t + k)
            angle = t + 2 * np.pi * k / copies / lobes
            polys.append((np.stack([cx + r * np.cos(angle), cy + r * np.sin(angle)], axis=1) * 16).astype(np.int32))
        cv2.polylines(img, polys, True, design.lines[2], 1, cv2.LINE_AA, shift=4)


def _card_base(size: tuple[int, int], design: Design, corner: int) -> tuple[np.ndarray, np.ndarray]:
    """A fresh copy of the blank card (gradient, guilloche) and its rounded-corner alpha."""
    img, alpha = _card_blank(size, design, corner)
    return img.copy(), alpha.copy()


@functools.lru_cache(maxsize=16)
def _card_blank(size: tuple[int, int], design: Design, corner: int) -> tuple[np.ndarray, np.ndarray]:
    # the blank depends only on the design, which every document of a kind and issuer shares: draw it once
    w, h = size
    ramp = (np.linspace(0, 1, w, dtype=np.float32)[None, :] * 0.6 + np.linspace(0, 1, h, dtype=np.float32)[:, None] * 0.4)
    a, b = np.array(design.base[0], np.float32), np.array(design.base[1], np.float32)
    img = (a + (b - a) * ramp[..., None]).astype(np.uint8)
    _guilloche(img, design)
    alpha = np.zeros((h, w), np.uint8)
    cv2.rectangle(alpha, (corner, 0), (w - 1 - corner, h - 1), 255, -1)
    cv2.rectangle(alpha, (0, corner), (w - 1, h - 1 - corner), 255, -1)
    for cx, cy in ((corner, corner), (w - 1 - corner, corner), (corner, h - 1 - corner), (w - 1 - corner, h - 1 - corner)):
        cv2.circle(alpha, (cx, cy), corner, 255, -1, cv2.LINE_AA)
    img.flags.writeable = alpha.flags.writeable = False
    return img, alpha


def _header(draw: ImageDraw.ImageDraw, img: Image.Image, design: Design, height: int, title: str, issuer: str,
            subtitle: str = "") -> None:
    w = img.width
    band = Image.new("RGB", (w, height), design.header)
    band_alpha = Image.linear_gradient("L").rotate(90, expand=True).resize((w, height)).point(lambda v: 150 + v // 3)
    img.paste(band, (0, 0), band_alpha)
    scale = height / 100
    draw.text((int(30 * scale), int(12 * scale)), issuer, font=font(SANS_BOLD, int(44 * scale)), fill=(255, 255, 255))
    draw.text((w - int(30 * scale), int(16 * scale)), title, font=font(SANS_BOLD, int(30 * scale)),
              fill=(255, 255, 255), anchor="ra")
    if subtitle:
        draw.text((w - int(30 * scale), int(58 * scale)), subtitle, font=font(SANS, int(22 * scale)),
                  fill=(235, 235, 240), anchor="ra")
    # emblem: a ring with a star, left of the title
    cx, cy, r = w - int(30 * scale) - draw.textlength(title, font=font(SANS_BOLD, int(30 * scale))) - 60 * scale, \
        height / 2, 30 * scale
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(240, 220, 150), width=max(2, int(3 * scale)))
    star = [(cx + r * 0.7 * np.cos(np.pi / 2 + k * 4 * np.pi / 5), cy - r * 0.7 * np.sin(np.pi / 2 + k * 4 * np.pi / 5))
            for k in range(5)]
    draw.polygon(star, fill=(240, 220, 150))


class _Writer:
    """Draws labelled fields and records what was printed where."""

    def __init__(self, img: Image.Image, side: CardSide, design: Design, missing: frozenset[str],
                 label_size: int, value_size: int):
        self.img, self.side, self.design, self.missing = img, side, design, missing
        self.draw = ImageDraw.Draw(img)
        self.label_font = font(SANS, label_size)
        self.value_size = value_size

    def _value(self, x: float, y: float, key: str, value: str, *, fill=INK, path: str = SANS,
               size: int | None = None) -> None:
        size = size or self.value_size
        value_font = font(path, size)
        value = "" if key in self.missing else value
        if value:
            self.draw.text((x, y), value, font=value_font, fill=fill, anchor="la")
            x0, y0, x1, y1 = self.draw.textbbox((x, y), value, font=value_font, anchor="la")
        else:  # where the value would be: the field-reading check looks here and finds nothing
            x0, y0, x1, y1 = x, y, x + 6 * value_font.size, y + value_font.size
        self.side.printed[key] = value
        self.side.regions[f"field:{key}"] = [x0, y0, x1, y1]
        self.side.styles[key] = (path, size, fill, (x, y))

    def field(self, x: float, y: float, label: str, key: str, value: str) -> None:
        """Label above, value below (passports, ID cards)."""
        self.draw.text((x, y), label, font=self.label_font, fill=self.design.label, anchor="la")
        self._value(x, y + self.label_font.size + 5, key, value)

    def inline(self, x: float, y: float, label: str, key: str, value: str, *, fill=INK, size=None) -> None:
        """Label left of the value (North American licences)."""
        size = size or self.value_size
        path = SANS_BOLD if fill == RED_INK else SANS
        self.draw.text((x, y + size - self.label_font.size), label, font=self.label_font,
                       fill=RED_INK if fill == RED_INK else self.design.label, anchor="la")
        self._value(x + self.draw.textlength(label, font=self.label_font) + 8, y, key, value, fill=fill, path=path,
                    size=size)


def _signature(img: np.ndarray, rng: np.random.Generator, box: tuple[int, int, int, int]) -> None:
    """A cursive-looking scribble: loops of varying size moving left to right, a capital, a flourish."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    t = np.linspace(0, 1, 700)

    def wobble(low: float, high: float) -> np.ndarray:
        phases, freqs = rng.uniform(0, 6.3, 3), rng.uniform(0.5, 3.0, 3)
        mix = sum(np.sin(2 * np.pi * f * t + p) for f, p in zip(freqs, phases, strict=True)) / 3
        return low + (high - low) * (mix + 1) / 2

    loops = rng.uniform(6, 11)
    phase = 2 * np.pi * loops * t + wobble(-0.6, 0.6)
    capital = 1 + 1.2 * np.exp(-((t - 0.04) / 0.05) ** 2)
    rx, ry = wobble(0.018, 0.05) * w * capital, wobble(0.12, 0.38) * h * capital
    x = x0 + w * (0.04 + 0.85 * t) - rx * np.sin(phase)
    y = y0 + h * 0.55 - ry * np.cos(phase) + wobble(-0.08, 0.08) * h
    pts = (np.stack([x, y], axis=1) * 16).astype(np.int32)
    ink = (20, 30, 110)
    cv2.polylines(img, [pts], False, ink, 2, cv2.LINE_AA, shift=4)
    if rng.random() < 0.6:  # underline flourish
        fx = x0 + w * np.linspace(0.1, 0.95, 60)
        fy = y0 + h * (0.85 - 0.1 * np.sin(np.linspace(0, np.pi, 60)))
        cv2.polylines(img, [(np.stack([fx, fy], axis=1) * 16).astype(np.int32)], False, ink, 2, cv2.LINE_AA, shift=4)


def _mrz(img: Image.Image, side: CardSide, lines: list[str], x0: int, y0: int, line_gap: int) -> None:
    """Draw the MRZ on a lightened band; record its box and the lines."""
    mrz = mrz_font(MRZ_PITCH)
    draw = ImageDraw.Draw(img)
    boxes = []
    for i, line in enumerate(lines):
        draw.text((x0, y0 + i * line_gap), line, font=mrz, fill=(12, 12, 16), anchor="la")
        boxes.append(draw.textbbox((x0, y0 + i * line_gap), line, font=mrz, anchor="la"))
    pad = 10
    side.regions["mrz"] = [min(b[0] for b in boxes) - pad, min(b[1] for b in boxes) - pad,
                           max(b[2] for b in boxes) + pad, max(b[3] for b in boxes) + pad]


def _mrz_band(arr: np.ndarray, top: int) -> None:
    """The MRZ zone keeps only a faint background: OCR-B needs contrast."""
    band = arr[top:].astype(np.float32)
    arr[top:] = (band * 0.35 + np.array([246, 246, 242], np.float32) * 0.65).astype(np.uint8)


def _portrait(arr: np.ndarray, rng: np.random.Generator, box: tuple[int, int, int, int], sex: str) -> np.ndarray:
    x0, y0, x1, y1 = box
    face = face_render(rng, x1 - x0, y1 - y0, female=sex == "F")
    arr[y0:y1, x0:x1] = face
    return face


def _specimen_stamp(img: Image.Image) -> None:
    layer = Image.new("L", img.size, 0)
    ImageDraw.Draw(layer).text((img.width / 2, img.height / 2), "SPECIMEN", font=font(SANS_BOLD, img.height // 5),
                               fill=150, anchor="mm")
    layer = layer.rotate(18, resample=Image.Resampling.BICUBIC, center=(img.width / 2, img.height / 2))
    img.paste(Image.new("RGB", img.size, (200, 30, 40)), (0, 0), layer)


def pdf417_render(text: str, width: int, height: int) -> np.ndarray:
    """A PDF417 symbol (uint8, 0 black / 255 white, 3-module quiet zone) fitting width x height.

    Of the column counts that keep modules at least 3 px wide, the one with the tallest rows
    relative to the module width wins: zxing-cpp's reader loses rows beyond a few degrees of
    rotation unless rows are tall (about 8 modules here; the standard's minimum is 3).
    """
    best = None
    for columns in range(5, 17):
        barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.PDF417, columns=columns, ec_level="4")
        # the writer draws each row 3 px tall at scale 1: keep one pixel row per symbol row
        rows = np.array(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False))[::3]
        n_rows, n_modules = rows.shape
        module = width // (n_modules + 6)
        if module < 1:
            continue
        row_height = (height - 6 * module) // n_rows
        score = (module >= 3, min(row_height / module, 9), module)
        if best is None or score > best[0]:
            best = (score, rows, module, row_height)
    _, rows, module, row_height = best
    symbol = np.repeat(np.repeat(rows, row_height, axis=0), module, axis=1)
    quiet = 3 * module
    return cv2.copyMakeBorder(symbol, quiet, quiet, quiet, quiet, cv2.BORDER_CONSTANT, value=255)


# -- sides ------------------------------------------------------------------------------------------


def _date_style(identity: Identity) -> str:
    return identity.country if identity.kind == "drivers_license" else "ICAO"


def card_front(identity: Identity, *, rng: np.random.Generator, mrz_lines: list[str] | None = None,
               missing: frozenset[str] = frozenset(), specimen: bool = False) -> tuple[CardSide, np.ndarray]:
    """The front (passport: the data page); returns the side and the portrait it shows."""
    if identity.kind == "passport":
        side, face = _passport_page(identity, rng, mrz_lines, missing)
    elif identity.kind == "id_card":
        side, face = _id_front(identity, rng, missing)
    else:
        side, face = _dl_front(identity, rng, missing)
    if specimen:
        img = Image.fromarray(side.image)
        _specimen_stamp(img)
        side.image = np.asarray(img).copy()
    return side, face


def _passport_page(identity: Identity, rng, mrz_lines, missing) -> tuple[CardSide, np.ndarray]:
    design = design_for("passport", identity.country)
    arr, alpha = _card_base(TD3_SIZE, design, corner=22)
    if mrz_lines:
        _mrz_band(arr, 790)
    side = CardSide(image=arr, alpha=alpha)
    face = _portrait(arr, rng, (60, 150, 460, 650), identity.sex)
    side.regions["portrait"] = [60, 150, 460, 650]
    _signature(arr, rng, (905, 700, 1300, 770))
    side.regions["signature"] = [905, 700, 1300, 770]
    img = Image.fromarray(arr)
    draw = ImageDraw.Draw(img)
    _header(draw, img, design, 120, "PASSPORT", country_name(identity.country), "PASSEPORT")
    fmt = _date_style(identity)
    write = _Writer(img, side, design, missing, label_size=19, value_size=32)
    write.field(500, 150, "Type / Type", "type", "P")
    write.field(680, 150, "Code / Code", "code", identity.country)
    write.field(905, 150, "Passport No. / N° du passeport", "document_number", identity.document_number)
    write.field(500, 235, "Surname / Nom", "surname", identity.surname)
    write.field(500, 320, "Given names / Prénoms", "given_names", identity.given_names)
    write.field(500, 405, "Nationality / Nationalité", "nationality", identity.nationality)
    write.field(905, 405, "Personal No. / N° personnel", "personal_number", identity.personal_number)
    write.field(500, 490, "Date of birth / Date de naissance", "birth_date", format_date(identity.birth_date, fmt))
    write.field(905, 490, "Sex / Sexe", "sex", identity.sex)
    write.field(1060, 490, "Place of birth / Lieu", "place_of_birth", identity.place_of_birth)
    write.field(500, 575, "Date of issue / Date de délivrance", "issue_date", format_date(identity.issue_date, fmt))
    write.field(905, 575, "Authority / Autorité", "authority", identity.authority)
    write.field(500, 660, "Date of expiry / Date d'expiration", "expiry_date",
                format_date(identity.expiry_date, fmt))
    draw.text((905, 660), "Holder's signature / Signature", font=font(SANS, 19), fill=design.label)
    if mrz_lines:
        _mrz(img, side, mrz_lines, x0=78, y0=840, line_gap=78)
    side.image = np.asarray(img).copy()
    return side, face


def _id_front(identity: Identity, rng, missing) -> tuple[CardSide, np.ndarray]:
    design = design_for("id_card", identity.country)
    arr, alpha = _card_base(ID1_SIZE, design, corner=37)
    side = CardSide(image=arr, alpha=alpha)
    face = _portrait(arr, rng, (35, 112, 325, 477), identity.sex)
    side.regions["portrait"] = [35, 112, 325, 477]
    _signature(arr, rng, (360, 520, 640, 600))
    side.regions["signature"] = [360, 520, 640, 600]
    img = Image.fromarray(arr)
    draw = ImageDraw.Draw(img)
    _header(draw, img, design, 92, "IDENTITY CARD", country_name(identity.country), "CARTE D'IDENTITÉ")
    fmt = _date_style(identity)
    write = _Writer(img, side, design, missing, label_size=16, value_size=27)
    write.field(355, 108, "Surname / Nom", "surname", identity.surname)
    write.field(355, 173, "Given names / Prénoms", "given_names", identity.given_names)
    write.field(355, 238, "Sex / Sexe", "sex", identity.sex)
    write.field(480, 238, "Nationality", "nationality", identity.nationality)
    write.field(680, 238, "Date of birth", "birth_date", format_date(identity.birth_date, fmt))
    write.field(355, 303, "Document No.", "document_number", identity.document_number)
    write.field(680, 303, "Personal No.", "personal_number", identity.personal_number)
    write.field(355, 368, "Date of issue", "issue_date", format_date(identity.issue_date, fmt))
    write.field(680, 368, "Date of expiry", "expiry_date", format_date(identity.expiry_date, fmt))
    draw.text((355, 495), "Signature", font=font(SANS, 16), fill=design.label)
    side.image = np.asarray(img).copy()
    return side, face


def _dl_front(identity: Identity, rng, missing) -> tuple[CardSide, np.ndarray]:
    design = design_for("drivers_license", identity.country, identity.state)
    arr, alpha = _card_base(ID1_SIZE, design, corner=37)
    side = CardSide(image=arr, alpha=alpha)
    face = _portrait(arr, rng, (30, 112, 305, 457), identity.sex)
    side.regions["portrait"] = [30, 112, 305, 457]
    ghost = cv2.resize(face, (140, 176), interpolation=cv2.INTER_AREA).astype(np.float32)
    region = arr[320:496, 845:985].astype(np.float32)
    arr[320:496, 845:985] = (region * 0.72 + ghost * 0.28).astype(np.uint8)
    _signature(arr, rng, (35, 480, 300, 590))
    side.regions["signature"] = [35, 480, 300, 590]
    img = Image.fromarray(arr)
    draw = ImageDraw.Draw(img)
    jurisdiction = JURISDICTIONS.get(identity.state, (identity.state, "", identity.country))[0]
    title = {"USA": "DRIVER LICENSE", "CAN": "DRIVER'S LICENCE", "MEX": "LICENCIA DE CONDUCIR"}[identity.country]
    _header(draw, img, design, 92, title, jurisdiction, identity.country)
    fmt = _date_style(identity)
    write = _Writer(img, side, design, missing, label_size=16, value_size=26)
    write.inline(335, 108, "DL", "document_number", identity.document_number, fill=RED_INK, size=32)
    write.inline(335, 156, "EXP", "expiry_date", format_date(identity.expiry_date, fmt), fill=RED_INK, size=28)
    write.inline(335, 202, "LN", "surname", identity.surname)
    write.inline(335, 240, "FN", "given_names", identity.given_names)
    write.inline(335, 282, "", "address", identity.street, size=22)
    write.inline(335, 312, "", "city", f"{identity.city}, {identity.state} {identity.postal_code}", size=22)
    write.inline(335, 352, "DOB", "birth_date", format_date(identity.birth_date, fmt), fill=RED_INK, size=28)
    write.inline(335, 400, "RSTR", "restrictions", "NONE", size=22)
    write.inline(640, 400, "CLASS", "class", identity.dl_class, size=22)
    write.inline(335, 436, "SEX", "sex", identity.sex, size=22)
    feet, inches = divmod(round(identity.height_cm / 2.54), 12)
    height = f"{feet}'-{inches:02d}\"" if identity.country == "USA" else f"{identity.height_cm} cm"
    write.inline(450, 436, "HGT", "height", height, size=22)
    write.inline(640, 436, "EYES", "eyes", identity.eyes, size=22)
    write.inline(335, 472, "ISS", "issue_date", format_date(identity.issue_date, fmt), size=22)
    write.inline(335, 508, "DD", "discriminator", identity.discriminator, size=18)
    side.image = np.asarray(img).copy()
    return side, face


def card_back(identity: Identity, *, rng: np.random.Generator, mrz_lines: list[str] | None = None,
              aamva: str | None = None, specimen: bool = False) -> CardSide:
    """The back of an ID card (TD1 MRZ) or a driving licence (PDF417)."""
    state = identity.state if identity.kind == "drivers_license" else ""
    design = design_for(identity.kind, identity.country, state)
    arr, alpha = _card_base(ID1_SIZE, design, corner=37)
    if mrz_lines:
        _mrz_band(arr, 420)
    side = CardSide(image=arr, alpha=alpha)
    img = Image.fromarray(arr)
    draw = ImageDraw.Draw(img)
    small, text = font(SANS, 16), font(SANS, 24)
    if identity.kind == "drivers_license":
        lines = ("RESTRICTIONS: NONE", "ENDORSEMENTS: NONE", f"CLASS {identity.dl_class}: ANY LICENSED PASSENGER VEHICLE")
        for i, line in enumerate(lines):
            draw.text((50, 30 + i * 30), line, font=font(SANS, 22), fill=INK)
        draw.text((50, 128), "This card is the property of the issuing jurisdiction. Report loss or theft.",
                  font=small, fill=design.label)
        draw.text((50, 150), f"{JURISDICTIONS.get(identity.state, ('', '', ''))[0]} DEPARTMENT OF MOTOR VEHICLES",
                  font=small, fill=design.label)
        if aamva:
            symbol = pdf417_render(aamva, 940, 440)
            bh, bw = symbol.shape
            x0, y0 = (ID1_SIZE[0] - bw) // 2, 180 + (440 - bh) // 2
            arr2 = np.asarray(img).copy()
            arr2[y0:y0 + bh, x0:x0 + bw] = symbol[..., None]
            img = Image.fromarray(arr2)
            side.regions["barcode"] = [x0, y0, x0 + bw, y0 + bh]
    else:
        label = font(SANS, 16)
        draw.text((50, 40), "Address / Adresse", font=label, fill=design.label)
        draw.text((50, 62), identity.street, font=text, fill=INK)
        draw.text((50, 94), f"{identity.postal_code} {identity.city}", font=text, fill=INK)
        draw.text((50, 150), "Height / Taille", font=label, fill=design.label)
        draw.text((50, 172), f"{identity.height_cm} cm", font=text, fill=INK)
        draw.text((260, 150), "Eyes / Yeux", font=label, fill=design.label)
        draw.text((260, 172), identity.eyes, font=text, fill=INK)
        draw.text((50, 230), "Issuing authority / Autorité", font=label, fill=design.label)
        draw.text((50, 252), identity.authority, font=text, fill=INK)
        draw.text((50, 320), country_name(identity.country), font=font(SANS_BOLD, 22), fill=design.label)
        if mrz_lines:
            _mrz(img, side, mrz_lines, x0=55, y0=440, line_gap=60)
    if specimen:
        _specimen_stamp(img)
    side.image = np.asarray(img).copy()
    return side
