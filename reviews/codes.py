"""Reject comment codes: the `kyc.commentCode` values of a rejected submission.

Automatic rules and reviewers share one list; `REJECT_CODES_REVIEWER` is what a reviewer may
choose, the rest are set only by the service that applies the rule.
"""

from django.db import models


class RejectCode(models.TextChoices):
    TOO_MANY_RETRY = "too_many_retry", "Multiple invalid KYC attempts"
    TIMEOUT = "timeout", "KYC rejected due to timeout"
    DUPLICATE_USER = (
        "duplicate_user",
        "Identity has been determined to be the same duplicate as the previously approved one.",
    )
    BLACKLIST_COUNTRY = "blacklistCountry", "According to the policy, we do not accept KYC from {country}."
    UNDER_AGE_LIMIT = "under_ageLimit", "We do not accept KYC anyone under {age} years old."
    INVALID_ACCEPTED_ID = (
        "invalid_acceptedID",
        "Inacceptable ID type. Please resubmit with another ID, check the valid ID on the submission page.",
    )
    ID_IMAGE_INVALID_IMAGE = (
        "id_image_invalidImage",
        "ID document not detected. Please take a picture of your ID document.",
    )
    ID_IMAGE_INVALID_ID = (
        "id_image_invalidId",
        "Invalid ID document. Please resubmit with another ID document.",
    )
    ID_IMAGE_ERROR = "id_image_error", "Fail to upload the ID image. Please resubmit the KYC process."
    ID_IMAGE_BAD_IMAGE = (
        "id_image_badImage",
        "Fail to read the ID image. Please take a clear picture of your ID document.",
    )
    ID_INFO_DATA_MISMATCH = (
        "id_info_dataMismatch",
        "The entered information does not match with your ID document.",
    )
    ID_INFO_BLACKLIST = "id_info_blacklist", "According to the policy, we do not accept KYC from {country}."
    ID_INFO_NOT_OF_AGE = "id_info_notOfAge", "We do not accept KYC anyone under {age} years old."
    ADDRESS_IMAGE_INVALID_IMAGE = (
        "address_image_invalidImage",
        "Invalid proof of address. Proof of address must include your full name and address.",
    )
    ADDRESS_IMAGE_ERROR = "address_image_error", "Fail to upload proof of address image. Please retry."
    ADDRESS_IMAGE_BAD_IMAGE = (
        "address_image_badImage",
        "Fail to read the image. Please take a clear picture of your proof of address.",
    )
    ADDRESS_INFO_EXPIRED_DOCUMENT = (
        "address_info_expiredDocument",
        "Expired proof of address. The proof of address should be issued within 6 months.",
    )
    ADDRESS_INFO_DATA_MISMATCH = (
        "address_info_dataMismatch",
        "Entered information does not match with your proof of address.",
    )
    OTHER = "other", "other"
    DUPLICATED_FACE = "duplicated_face", "Duplicate face image, the user has already approved"


REJECT_CODE_DESCRIPTIONS: dict[str, str] = {
    RejectCode.TOO_MANY_RETRY: "Retry count went up to 3 but KYC not approved",
    RejectCode.TIMEOUT: "'Incomplete' KYC with retry count of 1 or more turns 'Rejected' after a set period of time.",
    RejectCode.DUPLICATE_USER: "When the option is on, KYC from duplicate user is rejected.",
    RejectCode.BLACKLIST_COUNTRY: "'Blacklist Country' option: KYC submitted with an ID issued by a blacklisted country is rejected.",
    RejectCode.UNDER_AGE_LIMIT: "'Age Limit' option: KYC from a user below the set age is rejected.",
    RejectCode.INVALID_ACCEPTED_ID: "'ID Type' option: KYC submitted with an ID type not accepted by the project is rejected.",
    RejectCode.ID_IMAGE_INVALID_IMAGE: "Submitted ID image is not an image of ID.",
    RejectCode.ID_IMAGE_INVALID_ID: "Submitted ID is not valid. e.g. ID with only birth year.",
    RejectCode.ID_IMAGE_ERROR: "Unable to verify ID image due to upload error.",
    RejectCode.ID_IMAGE_BAD_IMAGE: "Unable to verify ID image due to poor image quality",
    RejectCode.ID_INFO_DATA_MISMATCH: "The ID is written in a script the reviewer cannot correct (Chinese characters, Cyrillic, ...) and the user's input does not match the ID.",
    RejectCode.ID_INFO_BLACKLIST: "The issuing country was modified during manual review and the modified country is on the blacklist.",
    RejectCode.ID_INFO_NOT_OF_AGE: "The date of birth was modified during manual review and the user is under the 'Age Limit'.",
    RejectCode.ADDRESS_IMAGE_INVALID_IMAGE: "The proof of address is not valid since it doesn't contain the user's name and address.",
    RejectCode.ADDRESS_IMAGE_ERROR: "Unable to verify proof of address image due to upload error.",
    RejectCode.ADDRESS_IMAGE_BAD_IMAGE: "Unable to verify proof of address image due to poor image quality",
    RejectCode.ADDRESS_INFO_EXPIRED_DOCUMENT: "The proof of address document is expired.",
    RejectCode.ADDRESS_INFO_DATA_MISMATCH: "The proof of address is in a script the reviewer cannot correct and the user's input does not match the document.",
    RejectCode.OTHER: "Guide comment from agent (free text written by the reviewer is shown to the user).",
    RejectCode.DUPLICATED_FACE: "Face Duplicate Verification option on and the submitted face matches two or more faces in the approved list.",
}

# Who sets each code, from the table's condition column.
REJECT_CODES_REVIEWER: tuple[RejectCode, ...] = (
    RejectCode.ID_IMAGE_INVALID_IMAGE,
    RejectCode.ID_IMAGE_INVALID_ID,
    RejectCode.ID_IMAGE_ERROR,
    RejectCode.ID_IMAGE_BAD_IMAGE,
    RejectCode.ID_INFO_DATA_MISMATCH,
    RejectCode.ADDRESS_IMAGE_INVALID_IMAGE,
    RejectCode.ADDRESS_IMAGE_ERROR,
    RejectCode.ADDRESS_IMAGE_BAD_IMAGE,
    RejectCode.ADDRESS_INFO_EXPIRED_DOCUMENT,
    RejectCode.ADDRESS_INFO_DATA_MISMATCH,
    RejectCode.OTHER,
)
REJECT_CODES_AUTOMATIC: tuple[RejectCode, ...] = tuple(
    code for code in RejectCode if code not in REJECT_CODES_REVIEWER
)


class ReviewErrorCode(models.TextChoices):
    """Why a review decision was refused (admin forms and the review API). Not in the vendor tables."""

    NOT_PENDING = "not_pending", "This submission is not pending review."
    REJECT_CODE_REQUIRED = "reject_code_required", "Choose at least one reject comment code."
    INVALID_REJECT_CODE = "invalid_reject_code", "Invalid reject comment code: {codes}."
    COMMENT_REQUIRED = "comment_required", "A comment for the applicant is required with the reject code 'other'."
    INVALID_EDIT = "invalid_edit", "Invalid value for: {fields}."
    CLAIMED = "claimed", "This submission is being reviewed by {reviewer}."
    AWAITING_CONFIRMATION = "awaiting_confirmation", "A decision on this submission is awaiting a second reviewer."
    NO_PROPOSAL = "no_proposal", "This decision no longer awaits confirmation."
    OWN_DECISION = "own_decision", "Nobody confirms their own decision: another reviewer must."
    RETURN_NOTE_REQUIRED = "return_note_required", "Say why the decision is returned."
    NOT_DECIDED = "not_decided", "Only an approved or rejected submission's status can be changed this way."


REVIEW_ERROR_DESCRIPTIONS: dict[str, str] = {
    ReviewErrorCode.NOT_PENDING: "Only Pending submissions can be decided; another reviewer or a rule decided it first.",
    ReviewErrorCode.REJECT_CODE_REQUIRED: "A rejection carries one or more reject comment codes.",
    ReviewErrorCode.INVALID_REJECT_CODE: "Only the reviewer codes of the table may be chosen.",
    ReviewErrorCode.COMMENT_REQUIRED: "The code 'other' is a free-text guide for the applicant.",
    ReviewErrorCode.INVALID_EDIT: "An edited field has a value of the wrong format.",
    ReviewErrorCode.CLAIMED: "Another reviewer opened the case within the claim timeout; it is theirs to decide.",
    ReviewErrorCode.AWAITING_CONFIRMATION: "Four-eyes: a proposed decision must be confirmed or returned first.",
    ReviewErrorCode.NO_PROPOSAL: "Four-eyes: the proposal was confirmed or returned meanwhile.",
    ReviewErrorCode.OWN_DECISION: "Four-eyes: the second reviewer must be another person.",
    ReviewErrorCode.RETURN_NOTE_REQUIRED: "Four-eyes: the first reviewer is told why their decision came back.",
    ReviewErrorCode.NOT_DECIDED: "PATCH kycStatus: Incomplete submissions are decided by their steps, Pending ones by a review.",
}
