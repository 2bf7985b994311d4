"""Synthetic images for the demo data and the README walk-through (Pillow only, no Django).

An ID-card-like picture (a light card with a photo box and text lines) and a selfie-like
picture (a face oval on a background). They are obviously fake and carry no real person.
"""

import io

from PIL import Image, ImageDraw, ImageFont


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow built without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def id_card_jpeg(*, name: str = "JANE SAMPLE", birth: str = "1990-04-12", number: str = "X1234567",
                 country: str = "POL", tint: tuple[int, int, int] = (214, 228, 240)) -> bytes:
    """A 856x540 ID card (the ID-1 aspect ratio) as JPEG bytes."""
    card = Image.new("RGB", (856, 540), (236, 238, 234))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((8, 8, 848, 532), radius=28, fill=tint, outline=(90, 110, 130), width=4)
    draw.rectangle((8, 40, 848, 100), fill=(60, 90, 130))
    draw.text((40, 52), f"{country}  IDENTITY CARD  (SPECIMEN)", fill="white", font=_font(32))
    draw.rectangle((40, 140, 280, 440), fill=(200, 205, 210), outline=(120, 120, 120), width=3)
    draw.ellipse((95, 175, 225, 335), fill=(222, 184, 150))
    draw.chord((65, 330, 255, 520), 180, 360, fill=(80, 80, 90))
    rows = [("NAME", name), ("DATE OF BIRTH", birth), ("DOCUMENT NO", number), ("NATIONALITY", country)]
    for i, (label, value) in enumerate(rows):
        y = 150 + i * 70
        draw.text((320, y), label, fill=(70, 80, 90), font=_font(18))
        draw.text((320, y + 22), value, fill=(20, 20, 30), font=_font(30))
    draw.rectangle((40, 470, 816, 510), fill=(245, 245, 240))
    draw.text((50, 478), f"IDX{country}{number}<<<<<<<<<<<<<<<<<<<<<<<", fill=(30, 30, 30), font=_font(24))
    return _jpeg(card)


def selfie_jpeg(*, skin: tuple[int, int, int] = (224, 186, 152), background: tuple[int, int, int] = (150, 180, 200)) -> bytes:
    """A 480x640 head-and-shoulders picture as JPEG bytes."""
    image = Image.new("RGB", (480, 640), background)
    draw = ImageDraw.Draw(image)
    draw.chord((60, 430, 420, 820), 180, 360, fill=(70, 90, 120))  # shoulders
    draw.rectangle((205, 380, 275, 470), fill=skin)  # neck
    draw.ellipse((130, 130, 350, 410), fill=skin, outline=(150, 110, 90), width=3)  # face
    draw.ellipse((120, 100, 360, 230), fill=(60, 45, 35))  # hair
    draw.ellipse((180, 240, 215, 262), fill="white")
    draw.ellipse((265, 240, 300, 262), fill="white")
    draw.ellipse((192, 244, 206, 258), fill=(50, 40, 30))
    draw.ellipse((277, 244, 291, 258), fill=(50, 40, 30))
    draw.arc((200, 310, 280, 360), 20, 160, fill=(150, 60, 60), width=4)  # mouth
    return _jpeg(image)
