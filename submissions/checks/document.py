"""Step 1 document checks: detection and pose, document type, MRZ, PDF417, printed fields,
front/back consistency and printed-vs-machine-readable text.

Every check reads the one shared `DocumentAnalysis` (submissions.checks.analysis): one detection,
one OCR pass and one barcode pass per side, whichever checks run. Evidence is in stored-image
pixels (quads, boxes) with decoded values, so a reviewer page can draw it. Signals, thresholds,
measured rates and limits: docs/checks/document.md.

Design decisions (documented there and in the API docs):
- `not_an_id` is answered only when the project's ID card validation is on: with it off the
  service does not judge whether the image is an ID.
- `mrz_protocol_fail` / `barcode_protocol_fail` (not gated by any option) are answered only when
  the image shows a text-bearing document, so a project with ID validation off accepts a non-ID
  test image.
- A document at an abnormal angle answers `physical_document_missing`; the content checks then
  stand down (a tilted card is not read reliably, and the applicant is already asked to retake it).
"""

from verification.analysis import DocumentAnalysis
from verification.fields import DIGIT_LOOKALIKES as LOOKALIKES
from verification.fields import dates_agree, names_agree, numbers_agree, region_flatness
from verification.mrz import MrzData, check_digit
from verification.profiles import DRIVERS_LICENSE, GOVERNMENT_ID, PASSPORT, UNIVERSAL, document_profile
from verification.thresholds import ThresholdSpec, threshold, thresholds_register

from ..choices import Step
from ..codes import Step1ErrorCode, Step1RetryCode
from .analysis import step1_analysis
from .base import Check, CheckContext, CheckReport, Finding, check_register
from .capture import capture_unreadable_sides

thresholds_register({
    "document.name_similarity_min": ThresholdSpec(
        0.75, "Similarity (0-1) below which a printed name and an MRZ/barcode name are different names."),
    "document.number_max_edits": ThresholdSpec(
        1, "Character edits (after OCR look-alikes) beyond which a printed and an encoded document "
        "number differ."),
    "document.pasted_flatness_ratio": ThresholdSpec(
        0.5, "Noise behind a contradicting printed value over the median noise behind the other values: "
        "below it the value sits on a flat, re-typed patch (text_forgery) rather than on the card."),
})

# Where each check digit sits: format -> field -> (line index, position).
CHECK_DIGIT_POSITIONS = {
    "TD1": {"document_number": (0, 14), "birth_date": (1, 6), "expiry_date": (1, 14), "composite": (1, 29)},
    "TD2": {"document_number": (1, 9), "birth_date": (1, 19), "expiry_date": (1, 27), "composite": (1, 35)},
    "TD3": {"document_number": (1, 9), "birth_date": (1, 19), "expiry_date": (1, 27),
            "personal_number": (1, 42), "composite": (1, 43)},
}
SEX = {"M": "male", "F": "female"}


def _analysis(ctx: CheckContext) -> DocumentAnalysis:
    return step1_analysis(ctx)


def _pose_blocks_reading(analysis: DocumentAnalysis) -> bool:
    """The detection check already asks for a retake at a normal angle; content checks stand down."""
    return bool(analysis.abnormal_pose_sides)


def _set_extracted(ctx: CheckContext, values: dict, *, overwrite: bool) -> None:
    for key, value in values.items():
        if value in (None, "", {}):
            continue
        if overwrite or key not in ctx.extracted:
            ctx.extracted[key] = value


def _person_fields(*, surname: str, given_names: str, document_number: str, birth, expiry, sex: str,
                   nationality: str = "", issue=None) -> dict:
    full = " ".join(part for part in (given_names, surname) if part)
    return {
        "full_name": full,
        "first_name": given_names,
        "last_name": surname,
        "document_number": document_number,
        "date_of_birth": birth.isoformat() if birth else None,
        "date_of_expiry": expiry.isoformat() if expiry else None,
        "date_of_issue": issue.isoformat() if issue else None,
        "gender": SEX.get(sex),
        "nationality": nationality,
    }


def _line_evidence(analysis: DocumentAnalysis, side: str, line) -> dict:
    return {"text": line.text, "box": analysis.to_original(side, line.box), "score": round(line.score, 3)}


def _char_box(line, position: int, length: int):
    """The box of one character of an MRZ line, interpolated along the line's box."""
    tl, tr, br, bl = line.box
    t0, t1 = position / length, (position + 1) / length
    return [tl + (tr - tl) * t0, tl + (tr - tl) * t1, bl + (br - bl) * t1, bl + (br - bl) * t0]


def _mrz_evidence(analysis: DocumentAnalysis) -> dict:
    read = analysis.mrz
    evidence = {"side": read.side, "raw": read.raw, "repaired": read.repaired, "reconciled": read.reconciled,
                "lines": [_line_evidence(analysis, read.side, line) for line in read.lines]}
    data = read.data
    if data is None:
        return evidence
    evidence["data"] = data.as_dict()
    evidence["names_confidence"] = "low: MRZ names carry no check digit"
    failed = []
    positions = CHECK_DIGIT_POSITIONS.get(data.format, {})
    for name in data.failed_checks:
        entry = {"field": name}
        if name in positions and positions[name][0] < len(read.lines):
            index, position = positions[name]
            line = read.lines[index]
            entry.update(line=index, position=position,
                         box=analysis.to_original(read.side, _char_box(line, position, len(data.lines[index]))))
        failed.append(entry)
    evidence["failed_check_digits"] = failed
    return evidence


def _machine_readable(analysis: DocumentAnalysis) -> tuple[str, dict] | None:
    """(source, values) of the machine-readable zone read: 'mrz' or 'aamva', names/dates/number/state."""
    mrz: MrzData | None = analysis.mrz.data
    if mrz is not None:
        return "mrz", {"side": analysis.mrz.side, "surname": mrz.surname, "given_names": mrz.given_names,
                       "document_number": mrz.document_number, "birth_date": mrz.birth_date,
                       "expiry_date": mrz.expiry_date, "country": mrz.issuing_state,
                       "document_code": mrz.document_code, "format": mrz.format}
    aamva = analysis.barcode.data
    if aamva is not None:
        return "aamva", {"side": analysis.barcode.side, "surname": aamva.surname, "given_names": aamva.given_names,
                         "document_number": aamva.document_number, "birth_date": aamva.birth_date,
                         "expiry_date": aamva.expiry_date, "country": aamva.country,
                         "document_code": aamva.subfile_type, "format": "AAMVA",
                         "state": aamva.elements.get("DAJ", "").strip()}
    return None


# -- detection ---------------------------------------------------------------------------------------


@check_register
class DocumentDetectionCheck(Check):
    """Is there a document, and is it photographed straight enough to be read?"""

    name = "document_detection"
    step = Step.STEP1
    codes = (Step1ErrorCode.NOT_AN_ID, Step1RetryCode.PHYSICAL_DOCUMENT_MISSING)
    fault_code = Step1ErrorCode.ID_DETECTION_ERROR
    analyses_images = True
    run_order = 20
    prefetch_first = True

    def prefetch(self, ctx: CheckContext) -> None:
        # The front's OCR read: this check's presence test and every later document check read it.
        _analysis(ctx).warm("front_ocr")

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = _analysis(ctx)
        evidence, supports = {}, []
        for side in ("front", "back"):
            if analysis.image(side) is None:
                continue
            detection = analysis.detection(side)
            evidence[side] = detection.evidence(analysis.image(side)) if detection is not None else None
            supports.append(detection.edge_support if detection is not None else 0.0)
        score = round(100 * min(supports), 1)
        limit = round(100 * threshold("document.min_edge_support"), 1)
        if not ctx.project.id_card_validation:
            # With ID card validation off the service does not judge whether the image is an ID.
            return CheckReport(score=score, threshold=limit, evidence=evidence)
        tilted = analysis.abnormal_pose_sides
        if tilted:
            evidence["abnormal_pose"] = tilted
            return CheckReport(findings=[Finding(Step1RetryCode.PHYSICAL_DOCUMENT_MISSING)], score=score,
                               threshold=limit, evidence=evidence)
        absent = []
        for side in ("front", "back"):
            if analysis.image(side) is None:
                continue
            if not analysis.document_present(side):
                absent.append(side)
            evidence[f"{side}_text_lines"] = analysis.ocr_line_count(side)
        if absent:
            # A document the detector outlined but blur left illegible is a bad capture, not a non-ID:
            # image_too_blurry asks for a retake instead of refusing the document outright.
            unreadable = capture_unreadable_sides(ctx)
            blurred = [side for side in absent if analysis.detection(side) is not None
                       and unreadable.get(side) == Step1RetryCode.IMAGE_TOO_BLURRY]
            if blurred:
                evidence["too_blurry_to_read"] = blurred
                absent = [side for side in absent if side not in blurred]
        if absent:
            evidence["no_document"] = absent
            return CheckReport(findings=[Finding(Step1ErrorCode.NOT_AN_ID)], score=score, threshold=limit,
                               evidence=evidence)
        return CheckReport(score=score, threshold=limit, evidence=evidence)


# -- document type -----------------------------------------------------------------------------------


@check_register
class UniversalTypeCheck(Check):
    """Universal id type: the document says what it is; AI-supported projects refuse what OCR cannot read."""

    name = "document_type"
    step = Step.STEP1
    codes = (Step1ErrorCode.OCR_FAIL,)
    fault_code = Step1ErrorCode.ID_IMAGE_ERROR
    analyses_images = True
    run_order = 20

    def applies(self, ctx: CheckContext) -> bool:
        return ctx.submission.requested_id_type == UNIVERSAL or bool(ctx.project.ai_supported)

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = _analysis(ctx)
        id_type, source = analysis.detected_id_type
        evidence = {"detected_id_type": id_type, "source": source}
        if ctx.submission.requested_id_type == UNIVERSAL and id_type is not None:
            analysis.resolved_id_type = id_type
            ctx.extracted["id_type"] = id_type
        supported, reason = self._supported(analysis, id_type, source)
        evidence.update(supported=supported, reason=reason)
        if ctx.project.ai_supported and not supported:
            return CheckReport(findings=[Finding(Step1ErrorCode.OCR_FAIL)], score=0, threshold=100,
                               evidence=evidence)
        return CheckReport(score=100 if supported else 0, threshold=100, evidence=evidence)

    @staticmethod
    def _supported(analysis: DocumentAnalysis, id_type: str | None, source: str) -> tuple[bool, str]:
        """Supported: a readable MRZ or AAMVA barcode, or a known layout whose printed fields were read."""
        if source.startswith(("mrz:", "aamva:")):
            return True, source
        if id_type is None:
            return False, "document type not recognised"
        profile = analysis.profile if analysis.resolved_id_type else None
        wanted = (profile.fields if profile is not None else frozenset()) or {
            "name", "document_number", "birth_date", "expiry_date"}
        read = {name for name in wanted if analysis.front_fields.has(name)}
        if len(read) >= min(3, len(wanted)):
            return True, f"layout {id_type}: read {sorted(read)}"
        return False, f"layout {id_type}: read only {sorted(read)}"


# -- MRZ ---------------------------------------------------------------------------------------------


def _mrz_number(data: MrzData, analysis: DocumentAnalysis) -> str:
    """The document number: the MRZ's, or the printed one when it is the same up to O/0-style
    look-alikes and satisfies the same check digit (OCR-B's O and 0 are nearly identical)."""
    printed = analysis.front_fields.get("document_number")
    number = data.document_number
    if not printed or printed == number or len(printed) != len(number):
        return number
    if printed.translate(LOOKALIKES) != number.translate(LOOKALIKES):
        return number
    if data.format in CHECK_DIGIT_POSITIONS and "document_number" in data.checks:
        line, position = CHECK_DIGIT_POSITIONS[data.format]["document_number"]
        digit = data.lines[line][position]
        if len(printed) == 9 and check_digit(printed) == digit:
            return printed
    return number


@check_register
class MrzCheck(Check):
    """The MRZ a passport or an ICAO ID card carries: present, check digits valid, not expired."""

    name = "mrz"
    step = Step.STEP1
    codes = (Step1RetryCode.MRZ_PROTOCOL_FAIL, Step1RetryCode.CHECK_DIGIT_FAILED, Step1RetryCode.DOCUMENT_EXPIRED)
    fault_code = Step1ErrorCode.ID_IMAGE_ERROR
    analyses_images = True
    run_order = 20

    def prefetch(self, ctx: CheckContext) -> None:
        # An ICAO card carries its MRZ on the back, which the MRZ is read from first: that side's OCR
        # read is the request's second longest computation and can run beside the front's. Decided on
        # the requested type, never on a type an earlier check resolved.
        analysis = _analysis(ctx)
        requested = document_profile(analysis.country, analysis.requested_id_type)
        if analysis.requested_id_type != UNIVERSAL and analysis.back is not None and requested.mrz_side == "back":
            analysis.warm("back_ocr")

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = _analysis(ctx)
        profile = analysis.profile
        data = analysis.mrz.data
        expected = bool(profile.mrz_formats)
        if not expected and data is None:
            return CheckReport(evidence={"expected": False, "profile": profile.id_type})
        evidence = {"expected": expected, "expected_formats": list(profile.mrz_formats), **_mrz_evidence(analysis)}
        if data is None:
            if _pose_blocks_reading(analysis) or not analysis.text_bearing:
                evidence["judged"] = False
                return CheckReport(score=0, threshold=100, evidence=evidence)
            unreadable = capture_unreadable_sides(ctx).get(profile.mrz_side or "front")
            if unreadable:
                evidence.update(judged=False, reason=f"MRZ side unreadable ({unreadable})")
                return CheckReport(score=0, threshold=100, evidence=evidence)
            return CheckReport(findings=[Finding(Step1RetryCode.MRZ_PROTOCOL_FAIL)], score=0, threshold=100,
                               evidence=evidence)
        _set_extracted(ctx, {
            **_person_fields(surname=data.surname, given_names=data.given_names,
                             document_number=_mrz_number(data, analysis), birth=data.birth_date,
                             expiry=data.expiry_date, sex=data.sex, nationality=data.nationality),
            "mrz": data.as_dict(),
        }, overwrite=True)
        if data.document_type and "id_type" not in ctx.extracted and ctx.submission.requested_id_type == UNIVERSAL:
            ctx.extracted["id_type"] = data.document_type
        findings = []
        checks = data.checks
        score = round(100 * sum(checks.values()) / max(len(checks), 1), 1)
        if data.failed_checks and _pose_blocks_reading(analysis):
            # A foreshortened MRZ is misread, not forged: physical_document_missing asks for a retake.
            evidence["check_digits_judged"] = False
        elif data.failed_checks:
            findings.append(Finding(Step1RetryCode.CHECK_DIGIT_FAILED))
        if data.expiry_date is not None and data.expiry_date < analysis.today:
            evidence["expired_on"] = data.expiry_date.isoformat()
            findings.append(Finding(Step1RetryCode.DOCUMENT_EXPIRED))
        return CheckReport(findings=findings, score=score, threshold=100, evidence=evidence)


# -- PDF417 ------------------------------------------------------------------------------------------


@check_register
class BarcodeCheck(Check):
    """The PDF417 (AAMVA) on the back of a North-American driving licence: present, readable, not expired."""

    name = "barcode"
    step = Step.STEP1
    codes = (Step1RetryCode.BARCODE_PROTOCOL_FAIL, Step1RetryCode.DOCUMENT_EXPIRED)
    fault_code = Step1ErrorCode.ID_IMAGE_ERROR
    analyses_images = True
    run_order = 20

    def prefetch(self, ctx: CheckContext) -> None:
        _analysis(ctx).warm("barcode")

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = _analysis(ctx)
        profile = analysis.profile
        if not profile.barcode:
            return CheckReport(evidence={"expected": False, "profile": profile.id_type})
        read = analysis.barcode
        evidence = {"expected": True, "side": read.side, "attempts": read.attempts,
                    "box": analysis.to_original(read.side, read.box) if read.box is not None else None}
        if read.data is None:
            evidence["decoded"] = read.text is not None
            if _pose_blocks_reading(analysis) or not analysis.text_bearing:
                evidence["judged"] = False
                return CheckReport(score=0, threshold=100, evidence=evidence)
            unreadable = capture_unreadable_sides(ctx).get("back" if analysis.back is not None else "front")
            if unreadable:
                evidence.update(judged=False, reason=f"barcode side unreadable ({unreadable})")
                return CheckReport(score=0, threshold=100, evidence=evidence)
            if ctx.project.id_card_validation and analysis.mrz.side == "back" and analysis.mrz.data is not None:
                # The back is another document (an ICAO card): front_back answers invalid_back_document.
                evidence["back_is_mrz_document"] = True
                return CheckReport(score=0, threshold=100, evidence=evidence)
            return CheckReport(findings=[Finding(Step1RetryCode.BARCODE_PROTOCOL_FAIL)], score=0, threshold=100,
                               evidence=evidence)
        data = read.data
        evidence["aamva"] = data.as_dict()
        street = data.elements.get("DAG", "").strip()
        city = data.elements.get("DAI", "").strip()
        state = data.elements.get("DAJ", "").strip()
        postal = data.elements.get("DAK", "").strip()
        address = ", ".join(part for part in (street, city, f"{state} {postal}".strip()) if part)
        _set_extracted(ctx, {
            **_person_fields(surname=data.surname, given_names=data.given_names,
                             document_number=data.document_number, birth=data.birth_date, expiry=data.expiry_date,
                             sex=data.sex, nationality=data.country, issue=data.issue_date),
            "address": address,
            "aamva": data.as_dict(),
        }, overwrite=True)
        findings = []
        if data.expiry_date is not None and data.expiry_date < analysis.today:
            evidence["expired_on"] = data.expiry_date.isoformat()
            findings.append(Finding(Step1RetryCode.DOCUMENT_EXPIRED))
        return CheckReport(findings=findings, score=100, threshold=100, evidence=evidence)


# -- printed fields ----------------------------------------------------------------------------------

MISSING_CODES = {
    "expiry_date": Step1RetryCode.MISSING_EXPIRY_DATE,
    "issue_date": Step1RetryCode.MISSING_ISSUE_DATE,
    "birth_date": Step1RetryCode.MISSING_BIRTH_DATE,
    "document_number": Step1RetryCode.MISSING_DOCUMENT_NUMBER,
    "personal_number": Step1RetryCode.MISSING_PERSONAL_NUMBER,
    "name": Step1RetryCode.MISSING_NAME,
}


@check_register
class FieldsCheck(Check):
    """The printed fields the document type carries are readable; a printed-only expiry is not past."""

    name = "printed_fields"
    step = Step.STEP1
    codes = (*MISSING_CODES.values(), Step1RetryCode.EXPIRED_ID)
    fault_code = Step1ErrorCode.ID_IMAGE_ERROR
    analyses_images = True
    run_order = 20

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = _analysis(ctx)
        profile = analysis.profile
        fields = analysis.front_fields
        evidence = {
            "profile": profile.id_type,
            "expected": sorted(profile.fields),
            "read": {name: {"text": value.text, "value": fields.as_dict()[name], "label": value.label,
                            "box": analysis.to_original("front", value.box)}
                     for name, value in fields.values.items()},
            "labels_seen": sorted(fields.labels),
        }
        printed = fields.as_dict()
        _set_extracted(ctx, {
            "full_name": fields.full_name, "first_name": printed.get("given_names"),
            "last_name": printed.get("surname"), "document_number": printed.get("document_number"),
            "date_of_birth": printed.get("birth_date"), "date_of_expiry": printed.get("expiry_date"),
            "date_of_issue": printed.get("issue_date"), "personal_number": printed.get("personal_number"),
        }, overwrite=False)
        if _pose_blocks_reading(analysis) or not analysis.document_present("front"):
            evidence["judged"] = False
            return CheckReport(evidence=evidence)
        unreadable = capture_unreadable_sides(ctx).get("front")
        if unreadable:
            # The capture, not the document, hides the fields: its retry already asks for a retake.
            evidence.update(judged=False, reason=f"front unreadable ({unreadable})")
            return CheckReport(evidence=evidence)
        missing = [name for name in sorted(profile.fields) if not fields.has(name)]
        evidence["missing"] = missing
        findings = [Finding(MISSING_CODES[name]) for name in missing if name in MISSING_CODES]
        expiry = fields.get("expiry_date")
        machine = analysis.mrz.data is not None or analysis.barcode.data is not None
        if expiry is not None and expiry < analysis.today and not machine:
            evidence["printed_expiry_past"] = expiry.isoformat()
            findings.append(Finding(Step1RetryCode.EXPIRED_ID))
        wanted = len(profile.fields) or 1
        score = round(100 * (wanted - len(missing)) / wanted, 1)
        return CheckReport(findings=findings, score=score, threshold=100, evidence=evidence)


# -- front / back and printed / encoded consistency ------------------------------------------------


def _flatness_ratio(analysis: DocumentAnalysis, name: str) -> float | None:
    """Noise behind the printed value `name` over the median noise behind the other printed values."""
    fields = analysis.front_fields.values
    if name not in fields:
        return None
    rgb = analysis.front.rgb
    own = region_flatness(rgb, fields[name].box)
    others = [region_flatness(rgb, value.box) for key, value in fields.items() if key != name]
    others = sorted(v for v in others if v is not None)
    if own is None or not others:
        return None
    median = others[len(others) // 2]
    return round(own / max(median, 1e-3), 3)


def _looks_pasted(analysis: DocumentAnalysis, name: str) -> bool:
    ratio = _flatness_ratio(analysis, name)
    return ratio is not None and ratio < threshold("document.pasted_flatness_ratio")


def _contradictions(analysis: DocumentAnalysis) -> tuple[str, dict, list[dict]] | None:
    """(source, machine values, printed-vs-machine disagreements) — each with the field and both values."""
    machine = _machine_readable(analysis)
    if machine is None:
        return None
    source, values = machine
    printed = analysis.front_fields
    out = []
    name_min = threshold("document.name_similarity_min")
    for field_name in ("surname", "given_names"):
        if printed.get(field_name) and values.get(field_name):
            if not names_agree(printed.get(field_name), values[field_name], minimum=name_min):
                out.append({"field": field_name, "printed": printed.get(field_name), "encoded": values[field_name]})
    if printed.get("document_number") and values.get("document_number"):
        if not numbers_agree(printed.get("document_number"), values["document_number"],
                             max_edits=int(threshold("document.number_max_edits"))):
            out.append({"field": "document_number", "printed": printed.get("document_number"),
                        "encoded": values["document_number"]})
    for field_name in ("birth_date", "expiry_date"):
        if not dates_agree(printed.get(field_name), values.get(field_name)):
            out.append({"field": field_name, "printed": printed.get(field_name).isoformat(),
                        "encoded": values[field_name].isoformat()})
    for item in out:
        value = printed.values.get(item["field"])
        if value is not None:
            item["box"] = analysis.to_original("front", value.box)
        item["flatness_ratio"] = _flatness_ratio(analysis, item["field"])
    return source, values, out


def _jsonable(values: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


@check_register
class FrontBackCheck(Check):
    """The back belongs to the front: same document type, issuer, holder name and birth date."""

    name = "front_back"
    step = Step.STEP1
    codes = (Step1RetryCode.INVALID_BACK_DOCUMENT, Step1RetryCode.DOCUMENT_COUNTRY_MISMATCH,
             Step1RetryCode.DOCUMENT_NAME_MISMATCH, Step1RetryCode.DOCUMENT_DOB_MISMATCH)
    fault_code = Step1ErrorCode.ID_IMAGE_ERROR
    analyses_images = True
    run_order = 20

    def applies(self, ctx: CheckContext) -> bool:
        from ..choices import FileKind

        return FileKind.ID_BACK in ctx.images

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = _analysis(ctx)
        if _pose_blocks_reading(analysis):
            return CheckReport(evidence={"judged": False})
        back = self._back_data(analysis)
        if back is None:
            return CheckReport(evidence={"back_machine_readable": None})
        source, values = back
        evidence = {"back_source": source, "back": _jsonable(values)}
        id_type = analysis.id_type
        # 1. The back is of another kind of document, or of another document altogether.
        reasons = []
        if id_type == DRIVERS_LICENSE and source == "mrz":
            reasons.append("a licence whose back carries an ICAO MRZ")
        if id_type == GOVERNMENT_ID and source == "aamva" and values.get("document_code") == "DL":
            reasons.append("an ID card whose back carries a driving-licence barcode")
        if id_type in (GOVERNMENT_ID, PASSPORT) and source == "mrz" and values.get("format") != "TD1":
            reasons.append(f"an ID-card back with a {values.get('format')} MRZ")
        if source == "mrz" and values.get("document_code", "")[:1] in ("P", "V"):
            reasons.append(f"a back with document code {values.get('document_code')}")
        contradictions = {item["field"]: item for item in (_contradictions(analysis) or ("", {}, []))[2]}
        holder_differs = bool({"surname", "birth_date"} & set(contradictions))
        if "document_number" in contradictions and holder_differs:
            reasons.append("the back's document number and holder are not the front's")
        if reasons:
            evidence["invalid_back"] = reasons
            return CheckReport(findings=[Finding(Step1RetryCode.INVALID_BACK_DOCUMENT)], score=0, threshold=100,
                               evidence=evidence)
        findings = []
        # 2. Issuer: the back's issuing state (MRZ) or country (AAMVA) vs the requested issuer.
        issuer = (values.get("country") or "").upper()
        if issuer and analysis.country and issuer != analysis.country:
            evidence["issuer"] = {"requested": analysis.country, "back": issuer}
            findings.append(Finding(Step1RetryCode.DOCUMENT_COUNTRY_MISMATCH))
        # 3. Holder: printed front name and birth date vs the back's encoded ones.
        name_items = [contradictions[f] for f in ("surname", "given_names") if f in contradictions
                      and not _looks_pasted(analysis, f)]
        if name_items:
            evidence["name_mismatch"] = name_items
            findings.append(Finding(Step1RetryCode.DOCUMENT_NAME_MISMATCH))
        if "birth_date" in contradictions and not _looks_pasted(analysis, "birth_date"):
            evidence["dob_mismatch"] = contradictions["birth_date"]
            findings.append(Finding(Step1RetryCode.DOCUMENT_DOB_MISMATCH))
        score = 100 if not findings else 0
        return CheckReport(findings=findings, score=score, threshold=100, evidence=evidence)

    @staticmethod
    def _back_data(analysis: DocumentAnalysis) -> tuple[str, dict] | None:
        machine = _machine_readable(analysis)
        if machine is None or machine[1].get("side") != "back":
            return None
        return machine


@check_register
class TextForgeryCheck(Check):
    """Printed text that contradicts the machine-readable data of the same document."""

    name = "text_forgery"
    step = Step.STEP1
    codes = (Step1RetryCode.TEXT_FORGERY,)
    fault_code = Step1ErrorCode.ID_IMAGE_ERROR
    analyses_images = True
    run_order = 20

    def run(self, ctx: CheckContext) -> CheckReport:
        analysis = _analysis(ctx)
        if _pose_blocks_reading(analysis):
            return CheckReport(evidence={"judged": False})
        found = _contradictions(analysis)
        if found is None:
            return CheckReport(evidence={"machine_readable": None})
        source, values, items = found
        same_side = values.get("side") == "front"
        holder_differs = any(item["field"] in ("surname", "birth_date") and not _looks_pasted(analysis, item["field"])
                             for item in items)
        forged = []
        for item in items:
            pasted = item["flatness_ratio"] is not None and item["flatness_ratio"] < threshold(
                "document.pasted_flatness_ratio")
            # On the same page (a passport) any contradiction is a forgery. Against the back, the
            # document's own data (number, expiry) contradicting while the holder agrees is a forged
            # front; a holder contradiction is the back's problem (front_back: another holder)
            # unless the printed value sits on a flat, re-typed patch.
            document_field = item["field"] in ("document_number", "expiry_date")
            if same_side or pasted or (document_field and not holder_differs):
                forged.append({**item, "pasted_look": pasted})
        evidence = {"source": source, "encoded_side": values.get("side"), "contradictions": forged,
                    "all_disagreements": items}
        if forged:
            return CheckReport(findings=[Finding(Step1RetryCode.TEXT_FORGERY)], score=0, threshold=100,
                               evidence=evidence)
        return CheckReport(score=100, threshold=100, evidence=evidence)
