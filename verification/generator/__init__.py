"""Synthetic identity documents photographed like a phone would, with defects on demand.

A test corpus for the Step 1 image checks (document detection, MRZ OCR, PDF417, blur, glare,
grayscale copies, screen recapture, editing traces, pasted text, specimens, front/back
consistency). Nothing is downloaded and no third-party photo is used: the security background,
portrait (procedural face), signature, MRZ (OCR-B, check digits from `verification.mrz`) and
PDF417 (zxing-cpp writer, AAMVA text from `verification.aamva`) are all drawn here.

    doc = generate_document("id_card", seed=7, defects=("glare",))
    doc.front, doc.back   # JPEG bytes as a phone sends them (PNG for a screenshot)
    doc.truth             # fields, MRZ lines / AAMVA text, regions in the returned images' pixels

Output depends only on the arguments: the same seed gives byte-identical files (the generated
world's "today" is `identity.REFERENCE_DATE`, not the clock). Defect randomness runs on its own
streams, so a document with a defect shows the same holder and scene as the genuine one of that seed.

Which side a defect touches: capture defects (blurred, glare, grayscale, tilted, screen_moire,
device_frame, screenshot) and edited_metadata apply to every image; content edits (pasted_text,
replaced_portrait, copy_move) and thumbnail_mismatch to the front only.

Defects: what each simulates, and the check that should catch it.

Data (what is printed or encoded):
- wrong_check_digit: one MRZ check digit (document number or birth date) is wrong; the composite is
  recomputed, so the MRZ is well-formed and exactly one check fails (`truth["mrz_failed_check"]`).
  Caught by the MRZ check-digit validation.
- no_mrz: a passport data page or ID-card back without its MRZ. Caught by MRZ detection (required zone absent).
- no_barcode: a driving-licence back without its PDF417. Caught by barcode detection.
- mismatched_back: the back belongs to another document: someone else's ID card of another country
  (TD1 with document code IR behind an ID card, I behind a licence). Caught by front/back consistency
  (document type, issuer, number, name).
- back_country_mismatch: the back's MRZ issuing state (licence: AAMVA DCG/DAJ and IIN) differs from the
  front's issuer. Caught by front/back consistency.
- back_name_mismatch / back_dob_mismatch: the back's MRZ or barcode carries another surname / birth
  date (check digits valid). Caught by front/back consistency and OCR-vs-MRZ comparison.
- expired: expiry date in the past, the same in print and MRZ/barcode. Caught by the expiry check.
- expired_printed_only: a document without machine-readable data (no MRZ, no barcode) whose printed
  expiry is in the past. Caught only by reading the printed expiry date.
- missing_field:<name> (expiry_date, document_number, birth_date, issue_date, name, personal_number):
  the label is printed, the value left blank (MRZ/barcode untouched). Caught by printed-field OCR.

Capture (how the image was taken):
- blurred: strong Gaussian (sigma 4-6.5) or motion blur (24-44 px). Caught by the blur/sharpness check.
- glare: one saturated elliptical specular highlight with a soft edge over part of the card
  (`regions["glare"]`). Caught by the glare check (clipped highlights on the document).
- grayscale: a photocopy: luminance only, hard contrast, toner specks, on white paper; the whole
  image is gray. Caught by the colour / grayscale-copy check.
- tilted: 35-60 degree rotation and a 25-42 degree 3D tilt (foreshortened). Caught by the document
  detector's pose/angle limit.
- screen_moire: the card shown on a monitor and photographed: RGB sub-pixel grid aliasing into
  moiré, an interference pattern, refresh banding, a bezel, blue cast. Caught by recapture detection.
- device_frame: the card shown on a phone (dark body, bright screen, status bar) photographed on a
  desk. Caught by recapture / device-frame detection.
- screenshot: a flat noise-free PNG at an exact screen size (1170x2532 or 1920x1080), no EXIF.
  Caught by the file/metadata check (no camera EXIF, screen resolution, PNG) and noise analysis.

Files and edits:
- edited_metadata: EXIF Software "Adobe Photoshop 25.0", an XMP packet with xmp:CreatorTool and the
  photoshop: namespace, re-saved at quality 95 without chroma subsampling. Caught by the metadata check.
- thumbnail_mismatch: the EXIF thumbnail shows another document's photo (camera EXIF kept, image
  re-saved by an editor). Caught by comparing the thumbnail with the downscaled image.
- pasted_text: one printed value (number, birth/expiry date or surname) covered by a flat rectangle
  with crisp, noise-free re-typed text that disagrees with the MRZ/barcode (`regions["pasted"]`,
  `truth["printed"]` holds the forged value). Caught by pasted-text/noise-inconsistency analysis and
  by OCR-vs-MRZ comparison.
- replaced_portrait: another face, with its own noise and JPEG history, pasted over the portrait with a
  hard edge. Caught by portrait tamper analysis (edge, noise, double-JPEG inconsistency).
- copy_move: one printed value's pixels cloned over another field (`regions["copy_source"]`,
  `["copy_target"]`). Caught by copy-move (duplicated region) detection.
- specimen: the published specimen of the kind and issuer: fixed holder and seed, SPECIMEN overprint,
  the same bytes every time. Caught by the known-specimen (perceptual hash) registry and by OCR of "SPECIMEN".
- not_a_document: a desk with a mug, pens, coins and a leaf and no card (also for the back). Caught by
  document detection. Cannot be combined with other defects.
"""

from .defects import DEFECTS, defects_check
from .document import GeneratedDocument, generate_corpus, generate_document
from .identity import KINDS, REFERENCE_DATE
from .selfie import holder_selfie

__all__ = ["DEFECTS", "KINDS", "REFERENCE_DATE", "GeneratedDocument", "defects_check", "generate_corpus",
           "holder_selfie",
           "generate_document"]
