"""Write sample images for the README walk-through: var/examples/id.jpg (a generated passport of
Jane Sample, POL) and var/examples/selfie.jpg (her selfie).

Run from the repository root:  .venv/bin/python docs/examples/make_images.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from submissions.management.commands._demo_images import walkthrough_images  # noqa: E402

out = ROOT / "var" / "examples"
out.mkdir(parents=True, exist_ok=True)
images = walkthrough_images()
(out / "id.jpg").write_bytes(images.front)
(out / "selfie.jpg").write_bytes(images.selfie)
print(f"wrote {(out / 'id.jpg').relative_to(ROOT)} and {(out / 'selfie.jpg').relative_to(ROOT)}")
