"""Parse and validate API requests into typed inputs, answering the documented codes.

Only what the request alone decides is checked here (presence, formats, image bytes);
what depends on the project or the submission is the services' job. The order of the
checks is the order of the answers: no image, missing parameters, id type, formats,
email, then the image bytes.
"""

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator

from .choices import ID_TYPE_UNIVERSAL, Gender, IdType
from .codes import Step1ErrorCode, Step2ErrorCode
from .countries import country_is_valid
from .exceptions import SubmissionError
from .images import ImageRejected, ImageUpload, image_read_upload

logger = logging.getLogger(__name__)

SUBMISSION_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CUSTOM_OPTION_KEYS = ("blacklistCountries", "approvePeriod", "rejectPeriod", "ageLimit")
STEP1_ID_TYPES = (*IdType.values, ID_TYPE_UNIVERSAL)
GENDER_ALIASES = {"m": Gender.MALE, "male": Gender.MALE, "f": Gender.FEMALE, "female": Gender.FEMALE,
                  "x": Gender.OTHER, "other": Gender.OTHER}
MAX_TEXT = 255
MAX_NAME = 200
_email_validator = EmailValidator()

# C0 controls but tab, DEL and C1 controls. None belongs in a name, a number or a filter: they
# hide text from a reviewer, split log and CSV lines, and NUL is not even storable as
# PostgreSQL text (the insert fails). Free text that may span lines keeps CR and LF.
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_CONTROL_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_has_control(value: str, *, multiline: bool = False) -> bool:
    """Whether `value` holds a control character (tab is allowed; CR and LF only if `multiline`)."""
    return bool((_CONTROL_MULTI_LINE if multiline else _CONTROL_SINGLE_LINE).search(value))


def input_control_fields(data, *, multiline: frozenset[str] = frozenset(), prefix: str = "") -> list[str]:
    """The names of the fields of a request whose text holds a control character.

    The one input-boundary check of every entry point (the v3 API's query strings, forms and
    JSON bodies; the admin's query strings). `data` is a QueryDict, a JSON value or a string;
    nested JSON keys are named with dots (`data.fullName`); `multiline` names the free-text
    fields that may hold line breaks. Files and non-text values are not looked at here.
    """
    if isinstance(data, str):
        return [prefix or "body"] if text_has_control(data, multiline=prefix in multiline) else []
    if isinstance(data, list | tuple):
        found = [name for item in data for name in input_control_fields(item, multiline=multiline, prefix=prefix)]
        return list(dict.fromkeys(found))
    if hasattr(data, "lists"):  # QueryDict: every value of a repeated parameter
        items = [(key, values) for key, values in data.lists()]
    elif isinstance(data, dict):
        items = list(data.items())
    else:
        return []
    found = []
    for key, value in items:
        key = str(key)
        name = f"{prefix}.{key}" if prefix else key
        if text_has_control(key):
            found.append(name.encode("unicode_escape").decode("ascii"))  # shown, not passed through
            continue
        found += input_control_fields(value, multiline=multiline, prefix=name)
    return list(dict.fromkeys(found))


def _text(data, name: str) -> str:
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _file(files, name: str) -> UploadedFile | None:
    upload = files.get(name)
    return upload if isinstance(upload, UploadedFile) else None


def _missing(data, names: tuple[str, ...]) -> bool:
    return any(not _text(data, name) for name in names)


def parse_date(value: str) -> date | None:
    """A `YYYY-MM-DD` calendar date, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def email_normalise(value: str) -> str | None:
    """The address lower-cased, or None when it is not a valid address."""
    try:
        _email_validator(value)
    except ValidationError:
        return None
    return value.lower() if len(value) <= 254 else None


def submission_id_is_valid(value: str) -> bool:
    return bool(SUBMISSION_ID_RE.match(value))


def custom_options_parse(raw: str) -> dict[str, bool] | None:
    """The per-submission switches: a JSON object whose known keys may only be false."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or any(k not in CUSTOM_OPTION_KEYS or v is not False for k, v in value.items()):
        return None
    return value


def _read_image(upload: UploadedFile, error_code, fault_code) -> ImageUpload:
    """Decode an upload: a bad file answers `error_code`; a fault of the decoder itself
    (out of memory, a Pillow bug on a hostile file) answers `fault_code`, logged."""
    try:
        return image_read_upload(upload)
    except ImageRejected as exc:
        raise SubmissionError(error_code, reason=exc.reason) from exc
    except Exception as exc:
        logger.exception("image decoder failed on an upload")
        raise SubmissionError(fault_code) from exc


def _raise_bad_format(bad: list[str], code) -> None:
    if bad:
        raise SubmissionError(code, parameters=", ".join(bad))


@dataclass(frozen=True)
class Step1Input:
    issuing_country: str
    email: str
    id_type: str
    id_image: ImageUpload
    id_back_image: ImageUpload | None
    submission_id: str = ""
    userid: str = ""
    cf1: str = ""
    cf2: str = ""
    cf3: str = ""
    custom_options: dict[str, bool] = field(default_factory=dict)
    project_id: str = ""


def step1_input_parse(data, files) -> Step1Input:
    id_upload = _file(files, "idImage")
    if id_upload is None:
        raise SubmissionError(Step1ErrorCode.INVALID_PAYLOAD)
    if _missing(data, ("issuingCountry", "email", "idType")):
        raise SubmissionError(Step1ErrorCode.MISSING_PARAMETERS)
    id_type = _text(data, "idType")
    if id_type not in STEP1_ID_TYPES:
        raise SubmissionError(Step1ErrorCode.INVALID_ID_TYPE)
    country = _text(data, "issuingCountry")
    custom_options = custom_options_parse(_text(data, "customOptions"))
    bad = []
    if not country_is_valid(country):
        bad.append("issuingCountry")
    if custom_options is None:
        bad.append("customOptions")
    bad += [name for name in ("userid", "cf1", "cf2", "cf3") if len(_text(data, name)) > MAX_TEXT]
    _raise_bad_format(bad, Step1ErrorCode.INVALID_INPUT_FORMAT)
    submission_id = _text(data, "submissionId")
    if submission_id and not submission_id_is_valid(submission_id):
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    email = email_normalise(_text(data, "email"))
    if email is None:
        raise SubmissionError(Step1ErrorCode.INVALID_EMAIL)
    back_upload = _file(files, "idBackImage")
    return Step1Input(
        issuing_country=country,
        email=email,
        id_type=id_type,
        id_image=_read_image(id_upload, Step1ErrorCode.INVALID_ID_IMAGE, Step1ErrorCode.ID_IMAGE_ERROR),
        id_back_image=_read_image(back_upload, Step1ErrorCode.INVALID_ID_IMAGE, Step1ErrorCode.ID_IMAGE_ERROR) if back_upload else None,
        submission_id=submission_id,
        userid=_text(data, "userid"),
        cf1=_text(data, "cf1"),
        cf2=_text(data, "cf2"),
        cf3=_text(data, "cf3"),
        custom_options=custom_options,
        project_id=_text(data, "projectId"),
    )


# Step 2 identity fields: wire name -> how it is stored in `entered_data`.
STEP2_TEXT_FIELDS = (
    "identity_number", "license_number", "document_number", "serial_number",
    "globalCode", "compoundCode", "formatted_address", "address_input", "address_detail",
    "userOccupancyName", "userOccupancyCode",
)
STEP2_DATE_FIELDS = ("date_of_birth", "date_of_issue", "date_of_expiry")
ADDRESS_FIELDS = ("globalCode", "compoundCode", "formatted_address")


@dataclass(frozen=True)
class Step2Input:
    submission_id: str
    face_image: ImageUpload
    name: str
    date_of_birth: date
    fields: dict[str, str]
    address_image: ImageUpload | None = None
    project_id: str = ""

    @property
    def has_address(self) -> bool:
        return any(self.fields.get(name) for name in ADDRESS_FIELDS)


def _date_any(value: str) -> str | None:
    return value if parse_date(value) is not None else None


def _date_of_birth(value: str) -> str | None:
    day = parse_date(value)
    return value if day is not None and date(1900, 1, 1) <= day <= date.today() else None


def _gender(value: str) -> str | None:
    gender = GENDER_ALIASES.get(value.lower())
    return gender.value if gender else None


def _country(value: str) -> str | None:
    return value if country_is_valid(value) else None


def _id_type(value: str) -> str | None:
    return value if value in IdType.values else None


def _at_most(limit: int):
    return lambda value: value if len(value) <= limit else None


# Each identity field, keyed as stored -> its stored form, or None when the value is refused.
IDENTITY_FIELD_PARSERS = {
    "name": _at_most(MAX_NAME),
    "date_of_birth": _date_of_birth,
    "date_of_issue": _date_any,
    "date_of_expiry": _date_any,
    "gender": _gender,
    "nationality": _country,
    "issuing_country": _country,
    "id_type": _id_type,
    **{name: _at_most(MAX_TEXT) for name in STEP2_TEXT_FIELDS},
}


def identity_field_parse(key: str, value: object) -> str | None:
    """The stored form of one identity field (a key of IDENTITY_FIELD_PARSERS), or None if refused.

    The one validator of Step 2's fields, PATCH `data`, review `updateFields` and the case
    page's corrections: text only (a list, an object, a number or a boolean is refused, never
    stored as its repr), stripped, not empty, no control character, then the field's own
    format and range (a birth date is a real day from 1900-01-01 to today).
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or text_has_control(value):
        return None
    return IDENTITY_FIELD_PARSERS[key](value)


# Step 2's optional identity fields in the order a bad-format answer names them:
# wire name -> stored key. The name is required and stored apart.
STEP2_IDENTITY_FIELDS = (
    *((name, name) for name in STEP2_DATE_FIELDS),
    ("gender", "gender"), ("nationality", "nationality"), ("idType", "id_type"),
    ("name", "name"),
    *((name, name) for name in STEP2_TEXT_FIELDS),
)


def step2_input_parse(data, files) -> Step2Input:
    face_upload = _file(files, "faceImage")
    if face_upload is None:
        raise SubmissionError(Step2ErrorCode.INVALID_PAYLOAD)
    if _missing(data, ("submissionId", "name", "date_of_birth")):
        raise SubmissionError(Step2ErrorCode.MISSING_PARAMETERS)
    fields, bad = {}, []
    for wire, key in STEP2_IDENTITY_FIELDS:
        raw = _text(data, wire)
        if not raw:
            continue
        value = identity_field_parse(key, raw)
        if value is None:
            bad.append(wire)
        else:
            fields[wire] = value
    _raise_bad_format(bad, Step2ErrorCode.INVALID_INPUT_FORMAT)
    name = fields.pop("name")
    submission_id = _text(data, "submissionId")
    if not submission_id_is_valid(submission_id):
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    face = _read_image(face_upload, Step2ErrorCode.INVALID_FACE_IMAGE, Step2ErrorCode.UNEXPECTED_ERROR)
    address_upload = _file(files, "addressImage")
    address = _read_image(address_upload, Step2ErrorCode.INVALID_ADDRESS_IMAGE, Step2ErrorCode.UNEXPECTED_ERROR) if address_upload else None
    return Step2Input(
        submission_id=submission_id,
        face_image=face,
        name=name,
        date_of_birth=parse_date(fields["date_of_birth"]),
        fields=fields,
        address_image=address,
        project_id=_text(data, "projectId"),
    )


BANK_CODE_RE = re.compile(r"^\d{3}$")
ACCOUNT_NUMBER_RE = re.compile(r"^\d{6,20}$")


@dataclass(frozen=True)
class PreStep2Input:
    submission_id: str
    user_name: str
    bank_code: str
    account_number: str
    project_id: str = ""


def prestep2_input_parse(data) -> PreStep2Input:
    if not hasattr(data, "get"):
        raise SubmissionError(Step2ErrorCode.INVALID_PAYLOAD)
    names = ("submissionId", "requestType", "userName", "bankCode", "accountNumber")
    # JSON numbers are accepted for the digit fields; integrations often send them so.
    values = {name: str(data.get(name, "")).strip() if data.get(name) is not None else "" for name in names}
    if any(not values[name] for name in names):
        raise SubmissionError(Step2ErrorCode.MISSING_PARAMETERS)
    bad = []
    if values["requestType"] != "occupancy":
        bad.append("requestType")
    if len(values["userName"]) > 100:
        bad.append("userName")
    if not BANK_CODE_RE.match(values["bankCode"]):
        bad.append("bankCode")
    if not ACCOUNT_NUMBER_RE.match(values["accountNumber"]):
        bad.append("accountNumber")
    _raise_bad_format(bad, Step2ErrorCode.INVALID_INPUT_FORMAT)
    if not submission_id_is_valid(values["submissionId"]):
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    return PreStep2Input(
        submission_id=values["submissionId"],
        user_name=values["userName"],
        bank_code=values["bankCode"],
        account_number=values["accountNumber"],
        project_id=str(data.get("projectId") or "").strip(),
    )
