"""Every wire code of the published code tables, one `TextChoices` per step and kind.

The value is the code clients match on; the label is its default message, verbatim from
`docs/spec/codes.json` (the repository's copy of the vendor's `shared/spec/codes.json`). A code with several documented messages keeps the others in
`MESSAGE_VARIANTS`, chosen by name where the condition arises. `tests/test_codes.py` pins
every row of codes.json against these classes.
"""

from django.db import models


class Step1RetryCode(models.TextChoices):
    """Step 1 retry answers (HTTP 200, `retry` list)."""

    MRZ_PROTOCOL_FAIL = "mrz_protocol_fail", "Failed to detect full MRZ"
    BARCODE_PROTOCOL_FAIL = "barcode_protocol_fail", "Failed to read PDF417 Barcode"
    INVALID_BACK_DOCUMENT = (
        "invalid_back_document",
        "Front and back side image mismatch. Please retry with one ID",
    )
    DOCUMENT_COUNTRY_MISMATCH = (
        "document_country_mismatch",
        "Front and back side image mismatch. Please retry with one ID",
    )
    DOCUMENT_EXPIRED = "document_expired", "Your ID is expired already. Please retry with valid ID"
    DOCUMENT_NAME_MISMATCH = (
        "document_name_mismatch",
        "Front and back side name mismatch. Please retry with one ID",
    )
    DOCUMENT_DOB_MISMATCH = (
        "document_dob_mismatch",
        "Front and back side birthdate mismatch. Please retry with one ID",
    )
    MISSING_EXPIRY_DATE = "missing_expiry_date", "Expiry date not detected. Please take clear picture"
    MISSING_ISSUE_DATE = "missing_issue_date", "Issue date not detected. Please take clear picture"
    MISSING_BIRTH_DATE = "missing_birth_date", "Birth date not detected. Please take clear picture"
    MISSING_DOCUMENT_NUMBER = (
        "missing_document_number",
        "Document number not detected. Please take clear picture",
    )
    MISSING_PERSONAL_NUMBER = (
        "missing_personal_number",
        "Identity number not detected. Please take clear picture",
    )
    MISSING_NAME = "missing_name", "Name not detected. Please take clear picture"
    GLARE_DETECTED = "glare_detected", "Please retake ID image without light smudging"
    RECAPTURED_DOCUMENT = "recaptured_document", "Retry with physical ID. recaptured screen not allowed"
    SCREEN_DETECTED = "screen_detected", "Retry with physical ID. recaptured screen not allowed"
    IMAGE_FORGERY = "image_forgery", "Please retry with original ID"
    FEATURE_VERIFICATION_FAILED = "feature_verification_failed", "Please retry with original ID"
    IMAGE_EDITED = "image_edited", "Please retry with original ID"
    FAKE_ID = "fake_id", "Please retry with original ID"
    ARTIFICIAL_IMAGE = "artificial_image", "Please retry with original ID"
    ARTIFICIAL_TEXT = "artificial_text", "Please retry with original ID"
    TEXT_FORGERY = "text_forgery", "Please retry with original ID"
    CHECK_DIGIT_FAILED = "check_digit_failed", "Please retry with original ID"
    IMAGE_TOO_BLURRY = "image_too_blurry", "Please retake ID image clearly"
    BLACK_WHITE_DOCUMENT = "black_white_document", "Please retry with original ID"
    PHYSICAL_DOCUMENT_MISSING = "physical_document_missing", "Please take ID image in the right direction"
    EXPIRED_ID = "expired_id", "Expired ID document, please use unexpired ID card."
    ID_LIVENESS_FAIL = "id_liveness_fail", "Liveness validation of Id image failed. Failed for: {#pipelines}"


STEP1_RETRY_DESCRIPTIONS: dict[str, str] = {
    Step1RetryCode.MRZ_PROTOCOL_FAIL: "No MRZ detected",
    Step1RetryCode.BARCODE_PROTOCOL_FAIL: "No barcode detected",
    Step1RetryCode.INVALID_BACK_DOCUMENT: "ID image: front and back mismatch",
    Step1RetryCode.DOCUMENT_COUNTRY_MISMATCH: "ID image: front and back issuing country mismatch",
    Step1RetryCode.DOCUMENT_EXPIRED: "ID image: already expired",
    Step1RetryCode.DOCUMENT_NAME_MISMATCH: "ID image: front and back name mismatch",
    Step1RetryCode.DOCUMENT_DOB_MISMATCH: "ID image: front and back birth date mismatch",
    Step1RetryCode.MISSING_EXPIRY_DATE: "Failed to detect expiry date or it's been artificially erased",
    Step1RetryCode.MISSING_ISSUE_DATE: "Failed to detect issued date or it's been artificially erased",
    Step1RetryCode.MISSING_BIRTH_DATE: "Failed to detect birth date or it's been artificially erased",
    Step1RetryCode.MISSING_DOCUMENT_NUMBER: "Failed to detect document number or it's been artificially erased",
    Step1RetryCode.MISSING_PERSONAL_NUMBER: "Failed to detect identity number or it's been artificially erased",
    Step1RetryCode.MISSING_NAME: "Failed to detect name or it's been artificially erased",
    Step1RetryCode.GLARE_DETECTED: "Failed to detect ID due to light reflection(smudging)",
    Step1RetryCode.RECAPTURED_DOCUMENT: "Image on monitor or other device is detected",
    Step1RetryCode.SCREEN_DETECTED: "Image captured from monitor or other device is detected",
    Step1RetryCode.IMAGE_FORGERY: "Image forgery detected",
    Step1RetryCode.FEATURE_VERIFICATION_FAILED: "The submitted ID image doesn't match with the one of database",
    Step1RetryCode.IMAGE_EDITED: "Trace of image editing detected",
    Step1RetryCode.FAKE_ID: "Sample ID image available online has been detected",
    Step1RetryCode.ARTIFICIAL_IMAGE: "Artificially generated ID detected",
    Step1RetryCode.ARTIFICIAL_TEXT: "Text forgery detected",
    Step1RetryCode.TEXT_FORGERY: "Text forgery detected",
    Step1RetryCode.CHECK_DIGIT_FAILED: "MRZ forgery detected",
    Step1RetryCode.IMAGE_TOO_BLURRY: "Failed to scan the ID due to blurry image",
    Step1RetryCode.BLACK_WHITE_DOCUMENT: "Black and white ID(copied ID) detected",
    Step1RetryCode.PHYSICAL_DOCUMENT_MISSING: "Failed to scan the ID due to abnormal angle",
    Step1RetryCode.EXPIRED_ID: "When submitted expired ID.",
    Step1RetryCode.ID_LIVENESS_FAIL: "When using the attack prevention option, the ID Card Liveness Score is less than 50 points in one or more pipelines. #pipeline : Screen replay, Paper printed, Replace portraits",
}


class Step1ErrorCode(models.TextChoices):
    """Step 1 errors (HTTP 400). `unauthorized` is listed under Step 2 in the table but answers every call."""

    INVALID_PAYLOAD = "invalid_payload", "Failed to parse the input data."
    INVALID_ID_IMAGE = "invalid_id_image", "Invalid ID image. Please retry with another ID image."
    INVALID_REQUEST = "invalid_request", "Failed to find the project. Please check the project ID."
    INVALID_PROJECT = "invalid_project", "This project is not available."
    MISSING_PARAMETERS = "missing_parameters", "Missing required parameters."
    INVALID_ID_TYPE = (
        "invalid_id_type",
        "Invalid id type: Id type must be passport, government_id or drivers_license.",
    )
    INVALID_INPUT_FORMAT = "invalid_input_format", "Invalid input type: {parameters}"
    INVALID_EMAIL = "invalid_email", "Invalid email address format."
    ID_IMAGE_ERROR = "id_image_error", "ID image processing error. Please retry."
    DATA_PROCESSING_ERROR = "data_processing_error", "Data processing error. Please retry."
    SAVE_IMAGE_ERROR = "save_image_error", "ID image save error. Please retry."
    PROCESSED_SUBMISSION = "processed_submission", "This submission is already processed."
    REJECTED_SUBMISSION = (
        "rejected_submission",
        "{email} has an existing rejected submission. Not available to submit due to 'rejected period' option to prevent duplication.",
    )
    REVIEWING = "reviewing", "{email}'s KYC is currently reviewing. Please wait."
    NOT_AN_ID = "not_an_id", "Please take a picture of an ID card."
    ID_DETECTION_ERROR = "id_detection_error", "ID detection error. Please retry."
    OCR_FAIL = "ocr_fail", "OCR not supported ID. Please retry with another ID."
    INVALID_ID = "invalid_id", "Invalid ID. Please resubmit with another ID."
    ID_VALIDATION_ERROR = "id_validation_error", "ID validation server error. Please, retry."
    INVALID_IDTYPE = "invalid_idType", "This project is not using the Universal option."
    ID_LIVENESS_ERROR = "id_liveness_error", "ID liveness error."
    UNAUTHORIZED = "unauthorized", "Invalid API key. Please check."


STEP1_ERROR_DESCRIPTIONS: dict[str, str] = {
    Step1ErrorCode.INVALID_PAYLOAD: "No image file",
    Step1ErrorCode.INVALID_ID_IMAGE: "Incorrect image path",
    Step1ErrorCode.INVALID_REQUEST: "This KYC does not exist. It's been deleted or the project ID is wrong.",
    Step1ErrorCode.INVALID_PROJECT: "This KYC project is not valid anymore, it has the status of 'Closed'.",
    Step1ErrorCode.MISSING_PARAMETERS: "A required parameter (issuingCountry, email, idType) is missing. / Universal option used and idType 'universal' submitted without a photo of the back of the ID card.",
    Step1ErrorCode.INVALID_ID_TYPE: "idType is not one of passport, government_id, drivers_license (or universal).",
    Step1ErrorCode.INVALID_INPUT_FORMAT: "Input value format incorrect",
    Step1ErrorCode.INVALID_EMAIL: "Incorrect email address",
    Step1ErrorCode.ID_IMAGE_ERROR: "ID image processing error",
    Step1ErrorCode.DATA_PROCESSING_ERROR: "Data processing error",
    Step1ErrorCode.SAVE_IMAGE_ERROR: "ID image saving error",
    Step1ErrorCode.PROCESSED_SUBMISSION: "Step 1 process for the submission ID has been already completed / Further submission banned due to 'Approved Period' option",
    Step1ErrorCode.REJECTED_SUBMISSION: "Further submission banned due to 'Rejected Period' option",
    Step1ErrorCode.REVIEWING: "The email account has a submitted KYC which is in 'Pending' status waiting for the result, thus no further submission accepted.",
    Step1ErrorCode.NOT_AN_ID: "Submitted ID image is not an ID.",
    Step1ErrorCode.ID_DETECTION_ERROR: "Error occurred while detecting an ID.",
    Step1ErrorCode.OCR_FAIL: "Affected by 'AI Supported Option', returned when submitted an ID which the OCR engine does not support.",
    Step1ErrorCode.INVALID_ID: "This ID is not valid anymore in accordance with local regulation.",
    Step1ErrorCode.ID_VALIDATION_ERROR: "ID validation server error",
    Step1ErrorCode.INVALID_IDTYPE: "When the Universal option is Off, but 'universal' is submitted as idType. idType 'universal' can be submitted only when using the Universal option. / If it is a Korean ID card and 'universal' is submitted as idType. If issuingCountry is 'KOR', Universal mode cannot be used regardless of whether the Universal option is used. / If you are using the Universal option and a specific ID type is submitted in idType",
    Step1ErrorCode.ID_LIVENESS_ERROR: "When using the attack prevention option, an error occurred while verifying ID Card Liveness.",
    Step1ErrorCode.UNAUTHORIZED: "Incorrect API key (listed under Step 2; answers every call).",
}


class Step2RetryCode(models.TextChoices):
    """Step 2 retry answers (HTTP 200, `retry` list)."""

    IDENTITY_VERIFICATION_FAIL = (
        "identity_verification_fail",
        "ID verification failed: {message}. Please check the ID data.",
    )
    NO_FACE = (
        "no_face",
        "Detect face failed: No face detected. At least one face must be detected in both selfie and ID image. Please retry.",
    )
    FACE_COMPARE_UNDERSCORE = (
        "face_compare_underscore",
        "The face doesn't match. Please retry with another face image.",
    )
    FACE_COMPARE_FAIL = (
        "face_compare_fail",
        "Failed to find a matching face. Please retry with another face image.",
    )
    FACE_DETECT_ERROR = "face_detect_error", "Failed to detect a face."
    LIVENESS_FAIL = "liveness_fail", "Liveness fail. Please retry with another face image."
    LIVENESS_ERROR = "liveness_error", "Liveness fail: Face size is too small to be detected. Please retry"
    BANK_AUTHENTICATION_FAIL = (
        "bank_authentication_fail",
        "The authentication code and account holder doesn't match.",
    )
    BANK_AUTHENTICATION_CODE_FAIL = (
        "bank_authentication_code_fail",
        "1 won authentication fail. The authentication code doesn't match.",
    )
    BANK_AUTHENTICATION_NAME_FAIL = (
        "bank_authentication_name_fail",
        "1 won authentication fail. The account holder doesn't match.",
    )


STEP2_RETRY_DESCRIPTIONS: dict[str, str] = {
    Step2RetryCode.IDENTITY_VERIFICATION_FAIL: "Korean ID authentication failed. / USA, CAN, MEX drivers license, input data and barcode data mismatch. / BGR ID data mismatch.",
    Step2RetryCode.NO_FACE: "No face detected on submitted selfie image.",
    Step2RetryCode.FACE_COMPARE_UNDERSCORE: "Face similarity score under 85.",
    Step2RetryCode.FACE_COMPARE_FAIL: "Failed to find a similar face to process face compare.",
    Step2RetryCode.FACE_DETECT_ERROR: "Server error",
    Step2RetryCode.LIVENESS_FAIL: "Liveness score less than 50.",
    Step2RetryCode.LIVENESS_ERROR: "Failed to meet liveness detection condition.",
    Step2RetryCode.BANK_AUTHENTICATION_FAIL: "Both verification code and holder name don't match.",
    Step2RetryCode.BANK_AUTHENTICATION_CODE_FAIL: "The verification code for 'Account Occupancy' doesn't match.",
    Step2RetryCode.BANK_AUTHENTICATION_NAME_FAIL: "The account holder name for 'Account Occupancy' doesn't match.",
}


class Step2ErrorCode(models.TextChoices):
    """Step 2 and PreStep2 errors (HTTP 400)."""

    INVALID_PAYLOAD = "invalid_payload", "Failed to parse the input data."
    INVALID_REQUEST = "invalid_request", "Failed to find the project. Please check the project ID."
    INVALID_FACE_IMAGE = "invalid_face_image", "Invalid face image. Please retry with another face image."
    MISSING_PARAMETERS = "missing_parameters", "Missing required parameters."
    INVALID_ADDRESS_IMAGE = (
        "invalid_address_image",
        "Invalid address image. Please retry with another address image.",
    )
    INVALID_SUBMISSION_ID = (
        "invalid_submission_id",
        "Invalid submission ID error. Please check the submission ID.",
    )
    NO_SUBMISSION = "no_submission", "Fail to find the submission data. Please contact CS center."
    PROCESSED_SUBMISSION = "processed_submission", "This submission is already processed."
    REJECTED_SUBMISSION = (
        "rejected_submission",
        "{email} has an existing rejected submission. Not available to submit due to 'rejected period' option to prevent duplication.",
    )
    UNAUTHORIZED = "unauthorized", "Invalid API key. Please check."
    MISSING_ADDRESS = "missing_address", "Missing address data information."
    UNEXPECTED_ERROR = "unexpected_error", "Failed to submit KYC."
    VERIFY_KOR_ERROR = (
        "verify_kor_error",
        "The ID card you submitted is currently unable to proceed due to Korean ID authentication server error in the authenticity verification server. Please proceed with a different ID card or try again later.",
    )
    INVALID_BANK_AUTHENTICATION = "invalid_bank_authentication", "Failed to read bank authentication's data."
    MISSING_REQUIRED_FIELD = (
        "missing_required_field",
        "The account holder's name and the 1 won authentication code are required fields.",
    )
    BANK_AUTHENTICATION_FAIL = (
        "bank_authentication_fail",
        "1 won authentication fail. The account holder's name doesn't match",
    )
    EXCEEDED_72HOUR_LIMIT = (
        "exceeded_72hour_limit",
        "The submission is invalid because it has been more than 72 hours since step1.",
    )
    INVALID_IDTYPE = (
        "invalid_idType",
        "The idType is required. This submission id failed to define idType in step1.",
    )
    FACE_VALIDATION_ERROR = "face_validation_error", "Fail to search face to validate duplicated user"
    # Not in the Step 2 table: the Step 1 code, reused for Step 2 and PreStep2 formats.
    INVALID_INPUT_FORMAT = "invalid_input_format", "Invalid input type: {parameters}"


STEP2_ERROR_DESCRIPTIONS: dict[str, str] = {
    Step2ErrorCode.INVALID_PAYLOAD: "No image file",
    Step2ErrorCode.INVALID_REQUEST: "This KYC does not exist. It's been deleted or the project ID is wrong.",
    Step2ErrorCode.INVALID_FACE_IMAGE: "Incorrect path of selfie image",
    Step2ErrorCode.MISSING_PARAMETERS: "Request does not carry every required parameter.",
    Step2ErrorCode.INVALID_ADDRESS_IMAGE: "Incorrect path of proof of address image",
    Step2ErrorCode.INVALID_SUBMISSION_ID: "Incorrect submission ID",
    Step2ErrorCode.NO_SUBMISSION: "Failed to load submission data.",
    Step2ErrorCode.PROCESSED_SUBMISSION: "Step 2 process for the submission ID has been already completed. / Further submission banned due to 'Approved Period' option",
    Step2ErrorCode.REJECTED_SUBMISSION: "Further submission banned due to 'Rejected Period' option",
    Step2ErrorCode.UNAUTHORIZED: "Incorrect API key",
    Step2ErrorCode.MISSING_ADDRESS: "No address data (when the address collection option is on)",
    Step2ErrorCode.UNEXPECTED_ERROR: "When failed at DB saving, sending webhook or email",
    Step2ErrorCode.VERIFY_KOR_ERROR: "Korean ID authentication server error",
    Step2ErrorCode.INVALID_BANK_AUTHENTICATION: "PreStep2 was not properly completed.",
    Step2ErrorCode.MISSING_REQUIRED_FIELD: "Required parameter for PreStep2 is missing (userOccupancyName, userOccupancyCode)",
    Step2ErrorCode.BANK_AUTHENTICATION_FAIL: "'userOccupancyName' from PreStep2 and name from Step2 parameter don't match.",
    Step2ErrorCode.EXCEEDED_72HOUR_LIMIT: "Submission ID is expired. A submission ID is valid for 72 hours from the createTime.",
    Step2ErrorCode.INVALID_IDTYPE: "When using Universal mode and failing to define idType in Step 1, the idType parameter is missing in Step 2.",
    Step2ErrorCode.INVALID_INPUT_FORMAT: "A parameter has the wrong format (dates YYYY-MM-DD, alpha-3 countries, digits); the message names them.",
    Step2ErrorCode.FACE_VALIDATION_ERROR: "Face Duplicate Verification option on and the search for a matching face in the database fails. / Face Duplicate Verification option on and adding the face to the index fails.",
}


# Other documented messages of a code, by the name of the condition that selects them.
MESSAGE_VARIANTS: dict[tuple[type, str], dict[str, str]] = {
    (Step1ErrorCode, Step1ErrorCode.MISSING_PARAMETERS.value): {
        "universal_back_image": "IdCard Back Image is required in using universal option",
    },
    (Step1ErrorCode, Step1ErrorCode.PROCESSED_SUBMISSION.value): {
        "approved_period": "{email} has an existing approved submission. Not available to submit due to 'approved period' option to prevent duplication.",
    },
    (Step1ErrorCode, Step1ErrorCode.INVALID_IDTYPE.value): {
        "korea": "ID Card issued from Korea cannot use universal id type.",
        "specific_with_universal": "Cannot input specific idType in using universal option",
    },
    (Step2RetryCode, Step2RetryCode.IDENTITY_VERIFICATION_FAIL.value): {
        "barcode": "ID verification failed: Barcode information does not match. {message}. Please check the ID data.",
        "egn": "ID verification failed: EGN information does not match. {message}. Please check the ID data",
    },
    (Step2RetryCode, Step2RetryCode.LIVENESS_ERROR.value): {
        "border": "Liveness fail: Face is too close to one or more borders. Please retry.",
        "interpupillary": "Liveness fail: Interpupillary distance is too small. Please retry.",
        "absolute_size": "Liveness fail: Absolute face size is too small. Please retry.",
        "cropped": "Liveness fail: Face is cropped. Please retry.",
        "rotation": "Liveness fail: Facial out-of-plane rotation angle is extremely large. Please retry",
        "relative_size": "Liveness fail: Relative face size is too small. Please retry.",
    },
    (Step2ErrorCode, Step2ErrorCode.PROCESSED_SUBMISSION.value): {
        "approved_period": "{email} has an existing approved submission. Not available to submit due to 'approved period' option to prevent duplication.",
    },
    (Step2ErrorCode, Step2ErrorCode.FACE_VALIDATION_ERROR.value): {
        "index_add": "Fail to add face image to collection.",
    },
}

# Which project option must be on for a Step 1 retry code to reach the client. The table:
# every retry but the two protocol failures needs 'ID card validation'; ID liveness needs
# attack prevention. Step 2 codes are gated by the checks that raise them.
STEP1_RETRY_GATES: dict[str, str | None] = {code: "id_card_validation" for code in Step1RetryCode.values} | {
    Step1RetryCode.MRZ_PROTOCOL_FAIL: None,
    Step1RetryCode.BARCODE_PROTOCOL_FAIL: None,
    Step1RetryCode.ID_LIVENESS_FAIL: "attack_prevention",
}


def code_message(code: models.TextChoices, variant: str | None = None, **params: object) -> str:
    """The client-facing message of `code`, with the named variant and placeholders filled.

    Placeholders are replaced by name (`{email}`, `{#pipelines}`), not with str.format,
    because the tables use names that are not Python identifiers.
    """
    template = str(code.label)
    if variant is not None:
        template = MESSAGE_VARIANTS[(type(code), code.value)][variant]
    for name, value in params.items():
        template = template.replace("{" + name + "}", str(value))
    return template


class ApiLimitCode(models.TextChoices):
    """Abuse limits of every /v3/ endpoint (not in the vendor tables; same envelope)."""

    TOO_MANY_REQUESTS = "too_many_requests", "Too many requests. Please retry after {seconds} seconds."
    REQUEST_TOO_LARGE = "request_too_large", "The request is larger than {megabytes} MB."


API_LIMIT_DESCRIPTIONS: dict[str, str] = {
    ApiLimitCode.TOO_MANY_REQUESTS: "HTTP 429 with Retry-After: the key's, the address's or the address's wrong-key "
    "limit is used up for this minute (docs/security.md).",
    ApiLimitCode.REQUEST_TOO_LARGE: "HTTP 413: Content-Length above KYC_MAX_REQUEST_BYTES, refused before the body "
    "is read.",
}
