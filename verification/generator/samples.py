"""A PNG contact sheet of generated documents, for looking at what the generator renders.

    python -m verification.generator.samples /tmp/generator_samples.png
    python -m verification.generator.samples /tmp/all_defects.png --all --seed 4
"""

import argparse
import io

from PIL import Image, ImageDraw

from .card import SANS, font
from .defects import DEFECTS, defect_applies
from .document import generate_document
from .identity import KINDS

TILE = (480, 300)
DEFAULT_DEFECTS = (("passport", "glare"), ("id_card", "blurred"), ("drivers_license", "screen_moire"),
                   ("id_card", "grayscale"), ("passport", "tilted"), ("drivers_license", "pasted_text"))


def _tile(data: bytes, label: str) -> Image.Image:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail(TILE)
    tile = Image.new("RGB", (TILE[0], TILE[1] + 26), (255, 255, 255))
    tile.paste(image, ((TILE[0] - image.width) // 2, 26 + (TILE[1] - image.height) // 2))
    ImageDraw.Draw(tile).text((6, 4), label, font=font(SANS, 16), fill=(0, 0, 0))
    return tile


def samples_sheet(entries: list[tuple[str, tuple[str, ...]]], *, seed: int = 1, columns: int = 4) -> Image.Image:
    """One tile per front of each (kind, defects) entry, plus the back of genuine two-sided ones."""
    tiles = []
    for kind, defects in entries:
        doc = generate_document(kind, seed=seed, defects=defects)
        name = "+".join(defects) or "genuine"
        tiles.append(_tile(doc.front, f"{kind} {name} (front)"))
        if doc.back is not None and not defects:
            tiles.append(_tile(doc.back, f"{kind} {name} (back)"))
    rows = (len(tiles) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (TILE[0] + 8), rows * (TILE[1] + 34)), (200, 200, 200))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * (TILE[0] + 8), (i // columns) * (TILE[1] + 34)))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--all", action="store_true", help="every defect (on the first kind it applies to)")
    args = parser.parse_args()
    entries = [(kind, ()) for kind in KINDS]
    if args.all:
        entries += [(next(k for k in KINDS if defect_applies(d, k)), (d,)) for d in DEFECTS]
    else:
        entries += [(kind, (defect,)) for kind, defect in DEFAULT_DEFECTS]
    samples_sheet(entries, seed=args.seed).save(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

