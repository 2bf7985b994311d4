"""The data API of `api.md`: read, correct, decide and erase submissions (thin views).

GET answers in the vendor's `Items` shape with signed, expiring image URLs; PATCH and the
review call go through the same review services as the workspace; DELETE erases through
`submission_erase`. Errors are the documented 400 envelope.
"""

from datetime import datetime, time, timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import Actor
from kycreview.keyset import keyset_decode
from reviews.choices import Decision
from reviews.services import review_data_edit, review_decide, review_status_override

from .apis import ERROR_RESPONSE, StepAnswerSerializer, SubmissionApi, submission_answer_body, submission_kyc_block
from .choices import FileKind, SubmissionStatus
from .codes import Step1ErrorCode, Step2ErrorCode
from .exceptions import SubmissionError, api_error_response
from .file_urls import API_SALT, stored_file_api_url, stored_file_token_load
from .inputs import email_normalise, parse_date, submission_id_is_valid
from .models import StoredFile, Submission
from .selectors import SubmissionListFilters, stored_file_read, submission_get_for_api, submission_list_page
from .services import ERASABLE_PARTS, StepAnswer, submission_erase

LIST_COUNT_DEFAULT, LIST_COUNT_MAX = 20, 100
IMAGE_KEYS = {FileKind.ID_FRONT: "idImage", FileKind.ID_BACK: "idBackImage", FileKind.SELFIE: "selfieImage",
              FileKind.ADDRESS: "addressImage"}
# PATCH `data` / review `updateFields` key -> the stored key of `reviews.services.REVIEW_EDITABLE_FIELDS`.
API_EDIT_FIELDS = {
    "idType": "id_type", "issuingCountry": "issuing_country", "fullName": "name", "gender": "gender",
    "birthDate": "date_of_birth", "nationality": "nationality", "issueDate": "date_of_issue",
    "expireDate": "date_of_expiry", "identityNumber": "identity_number", "documentNumber": "document_number",
}


# -- the body -------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def submission_item_body(request, submission: Submission) -> dict:
    """One submission in the vendor's `Items` shape, plus its check results."""
    entered, extracted = submission.entered_data or {}, submission.extracted_data or {}
    name = entered.get("name") or extracted.get("name") or ""
    given, _, surname = name.rpartition(" ")
    files = {stored.kind: stored for stored in submission.files.all()}  # prefetched: current files only
    return {
        "submission_id": submission.submission_id,
        "email": submission.email,
        "userid": submission.userid,
        "kycStatus": submission.status,
        "created_at": _iso(submission.created_at),
        "updated_at": _iso(submission.updated_at),
        "kyc_result_at": _iso(submission.decided_at),
        "erased_at": _iso(submission.erased_at),
        "retryCount": submission.retry_count,
        "kyc": submission_kyc_block(submission),
        "data": {
            "full_name": name,
            "first_name": extracted.get("given_names") or given,
            "last_name": extracted.get("surname") or surname,
            "gender": entered.get("gender", ""),
            "date_of_birth": entered.get("date_of_birth", ""),
            "nationality": entered.get("nationality", ""),
            "idcard_issuingCountry": submission.issuing_country,
            "idType": submission.id_type or submission.requested_id_type,
            "documentNumber": entered.get("document_number") or extracted.get("document_number", ""),
            "identityNumber": entered.get("identity_number", ""),
            "idcard_issueDate": entered.get("date_of_issue") or extracted.get("issue_date", ""),
            "idcard_expireDate": entered.get("date_of_expiry") or extracted.get("expiry_date", ""),
        } if submission.erased_at is None else {},
        "ocr": extracted,
        "image": {IMAGE_KEYS[kind]: stored_file_api_url(request, stored) for kind, stored in files.items()},
        "checks": [
            {"step": r.step, "attempt": r.attempt, "check": r.check_name, "outcome": r.outcome, "code": r.code,
             "score": r.score, "threshold": r.threshold}
            for r in submission.check_results.all()
        ],
        "cf": {"cf1": submission.cf1, "cf2": submission.cf2, "cf3": submission.cf3},
    }


class ItemSerializer(serializers.Serializer):
    submission_id = serializers.CharField()
    email = serializers.CharField()
    userid = serializers.CharField()
    kycStatus = serializers.ChoiceField(choices=SubmissionStatus.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    kyc_result_at = serializers.DateTimeField(allow_null=True)
    erased_at = serializers.DateTimeField(allow_null=True)
    retryCount = serializers.IntegerField()
    kyc = inline_serializer("KycResult", {
        "result": serializers.CharField(), "commentCode": serializers.ListField(child=serializers.CharField()),
        "comment": serializers.ListField(child=serializers.CharField())})
    data = serializers.DictField(help_text="Identity data (empty once erased).")
    ocr = serializers.DictField(help_text="Fields read from the document.")
    image = serializers.DictField(child=serializers.URLField(), help_text="Signed URLs that expire.")
    checks = serializers.ListField(child=serializers.DictField())
    cf = serializers.DictField(child=serializers.CharField())


class ItemsSerializer(serializers.Serializer):
    Items = ItemSerializer(many=True)
    nextpageKey = serializers.CharField(allow_null=True, required=False)


# -- parsing --------------------------------------------------------------------------------


def _invalid(*names: str) -> SubmissionError:
    return SubmissionError(Step1ErrorCode.INVALID_INPUT_FORMAT, parameters=", ".join(names))


def _list_filters(params) -> tuple[SubmissionListFilters, int, tuple | None]:
    bad = []
    email = params.get("email", "").strip()
    if email and email_normalise(email) is None:
        bad.append("email")
    status = params.get("status", "").strip()
    if status and status not in SubmissionStatus.values:
        bad.append("status")
    dates = {}
    for name in ("start_date", "end_date"):
        raw = params.get(name, "").strip()
        dates[name] = parse_date(raw) if raw else None
        if raw and dates[name] is None:
            bad.append(name)
    count_raw = params.get("count", "").strip()
    count = int(count_raw) if count_raw.isdigit() else LIST_COUNT_DEFAULT
    if count_raw and not (count_raw.isdigit() and 1 <= count <= LIST_COUNT_MAX):
        bad.append("count")
    key = params.get("nextpage_key", "").strip()
    after = keyset_decode(key) if key else None
    if key and after is None:
        bad.append("nextpage_key")
    if bad:
        raise _invalid(*bad)

    def day_start(day):
        return timezone.make_aware(datetime.combine(day, time.min)) if day else None

    filters = SubmissionListFilters(
        email=email_normalise(email) if email else "", userid=params.get("userid", "").strip(), status=status,
        start=day_start(dates["start_date"]),
        end=day_start(dates["end_date"] + timedelta(days=1)) if dates["end_date"] else None,  # inclusive
    )
    return filters, count, after


def _submission_id(value) -> str:
    submission_id = str(value or "").strip().lower()
    if not submission_id:
        raise SubmissionError(Step2ErrorCode.MISSING_PARAMETERS)
    if not submission_id_is_valid(submission_id):
        raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
    return submission_id


def _edits(raw, name: str) -> dict[str, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise _invalid(name)
    unknown = sorted(set(raw) - set(API_EDIT_FIELDS) - {"kycStatus"})
    if unknown:
        raise _invalid(*(f"{name}.{key}" for key in unknown))
    return {API_EDIT_FIELDS[key]: value for key, value in raw.items() if key in API_EDIT_FIELDS}


def _reject_comment(raw) -> tuple[list[str], str, dict[str, str]]:
    """`rejectComment` {commentCode, comment} (each a string or a list) -> codes, other's text, messages."""
    if raw in (None, ""):
        return [], "", {}
    if not isinstance(raw, dict):
        raise _invalid("rejectComment")

    def as_list(value, name):
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise _invalid(f"rejectComment.{name}")

    codes, comments = as_list(raw.get("commentCode"), "commentCode"), as_list(raw.get("comment"), "comment")
    messages = {code: text for code, text in zip(codes, comments, strict=False) if text}
    return codes, messages.get("other", ""), messages


def _api_actor(request, admin) -> Actor:
    """The API key, acting for the back-office user the integration names in `admin` (kept sealed)."""
    name = admin.strip()[:100] if isinstance(admin, str) else ""
    return Actor.for_api_key(request.auth, on_behalf_of=name)


def _json_body(request) -> dict:
    if not isinstance(request.data, dict):
        raise SubmissionError(Step2ErrorCode.INVALID_PAYLOAD)
    return request.data


# -- views ----------------------------------------------------------------------------------


class DataApi(SubmissionApi):
    """The JSON endpoints of the data API: a fault answers unexpected_error, as Step 2's do."""

    parser_classes = [JSONParser]
    fault_code = Step2ErrorCode.UNEXPECTED_ERROR
    input_format_code = Step2ErrorCode.INVALID_INPUT_FORMAT
    multiline_fields = frozenset({"rejectComment.comment"})  # the applicant's message may span lines


class SubmissionDataApi(DataApi):
    @extend_schema(
        operation_id="submission_get",
        summary="Read one submission (submission_id) or a page of them, newest first",
        parameters=[
            OpenApiParameter("submission_id", OpenApiTypes.STR, description="One submission (UUID)."),
            OpenApiParameter("email", OpenApiTypes.STR), OpenApiParameter("userid", OpenApiTypes.STR),
            OpenApiParameter("status", OpenApiTypes.STR, enum=SubmissionStatus.values),
            OpenApiParameter("start_date", OpenApiTypes.DATE, description="Created on or after (YYYY-MM-DD)."),
            OpenApiParameter("end_date", OpenApiTypes.DATE, description="Created on or before (YYYY-MM-DD)."),
            OpenApiParameter("count", OpenApiTypes.INT, description=f"Page size, 1-{LIST_COUNT_MAX} "
                             f"(default {LIST_COUNT_DEFAULT})."),
            OpenApiParameter("nextpage_key", OpenApiTypes.STR, description="The previous page's nextpageKey."),
        ],
        responses={200: ItemsSerializer, 400: ERROR_RESPONSE},
    )
    def get(self, request):
        params = request.query_params
        if "submission_id" in params:
            submission = submission_get_for_api(project=self.project, submission_id=_submission_id(
                params["submission_id"]))
            if submission is None:
                raise SubmissionError(Step2ErrorCode.INVALID_SUBMISSION_ID)
            if submission.erased_at is not None:
                raise SubmissionError(Step2ErrorCode.NO_SUBMISSION)
            return Response({"Items": [submission_item_body(request, submission)]})
        filters, count, after = _list_filters(params)
        page = submission_list_page(project=self.project, filters=filters, count=count, after=after)
        return Response({"Items": [submission_item_body(request, s) for s in page.items],
                         "nextpageKey": page.next_key})

    @extend_schema(
        operation_id="submission_patch",
        summary="Correct a submission's data, or change a final status; every edit is audited",
        request=inline_serializer("SubmissionPatch", {
            "submissionId": serializers.CharField(), "admin": serializers.CharField(required=False),
            "data": serializers.DictField(help_text="kycStatus, idType, issuingCountry, fullName, gender, birthDate,"
                                          " nationality, issueDate, expireDate, identityNumber, documentNumber"),
            "rejectComment": serializers.DictField(required=False, help_text="{commentCode, comment}: to reject"),
        }),
        responses={200: StepAnswerSerializer, 400: ERROR_RESPONSE},
    )
    def patch(self, request):
        body = _json_body(request)
        submission_id = _submission_id(body.get("submissionId"))
        data = body.get("data")
        if not isinstance(data, dict) or not data:
            raise SubmissionError(Step2ErrorCode.MISSING_PARAMETERS)
        edits = _edits(data, "data")
        status = data.get("kycStatus")
        if status is not None and status not in (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED):
            raise _invalid("data.kycStatus")
        actor = _api_actor(request, body.get("admin"))
        codes, comment, messages = _reject_comment(body.get("rejectComment"))
        review_data_edit(submission_id=submission_id, actor=actor, edits=edits, project=self.project)
        submission = Submission.objects.get(project=self.project, submission_id=submission_id)
        if status is not None and status != submission.status:
            if submission.status == SubmissionStatus.PENDING:
                review_decide(submission_id=submission_id, actor=actor, project=self.project,
                              decision=Decision.APPROVE if status == SubmissionStatus.APPROVED else Decision.REJECT,
                              codes=codes, comment=comment, messages=messages)
            else:
                review_status_override(submission_id=submission_id, actor=actor, status=status, codes=codes,
                                       comment=comment, messages=messages, project=self.project)
            submission.refresh_from_db()
        return Response(submission_answer_body(StepAnswer(submission=submission)))

    @extend_schema(
        operation_id="submission_delete",
        summary="Erase a submission's personal data and images; its id, dates, id type and status stay",
        parameters=[OpenApiParameter("submission_id", OpenApiTypes.STR, required=True),
                    OpenApiParameter("admin_name", OpenApiTypes.STR)],
        responses={200: StepAnswerSerializer, 400: ERROR_RESPONSE},
    )
    def delete(self, request):
        return _erase(request, self.project, parts=None)


def _erase(request, project, *, parts):
    params = request.query_params
    submission_id = _submission_id(params.get("submission_id"))
    actor = _api_actor(request, params.get("admin_name"))
    submission = submission_erase(project=project, submission_id=submission_id, actor=actor, parts=parts)
    return Response(submission_answer_body(StepAnswer(submission=submission)))


class SubmissionPartialDeleteApi(DataApi):
    @extend_schema(
        operation_id="submission_delete_partial",
        summary="Erase selected parts of a submission",
        parameters=[OpenApiParameter("submission_id", OpenApiTypes.STR, required=True),
                    OpenApiParameter("fields", OpenApiTypes.STR, required=True,
                                     description=f"Comma-separated: {', '.join(ERASABLE_PARTS)}."),
                    OpenApiParameter("admin_name", OpenApiTypes.STR)],
        responses={200: StepAnswerSerializer, 400: ERROR_RESPONSE},
    )
    def delete(self, request):
        raw = [part.strip() for part in request.query_params.get("fields", "").split(",") if part.strip()]
        if not raw:
            raise SubmissionError(Step2ErrorCode.MISSING_PARAMETERS)
        unknown = [part for part in raw if part not in ERASABLE_PARTS]
        if unknown:
            raise _invalid(*(f"fields.{part}" for part in unknown))
        return _erase(request, self.project, parts=tuple(dict.fromkeys(raw)))


class SubmissionReviewApi(DataApi):
    @extend_schema(
        operation_id="submission_review",
        summary="Decide a Pending submission: the same decision a reviewer makes in the browser",
        request=inline_serializer("SubmissionReview", {
            "submissionId": serializers.CharField(),
            "status": serializers.ChoiceField(choices=["approved", "rejected"]),
            "rejectComment": serializers.DictField(required=False, help_text="{commentCode, comment}: required to "
                                                   "reject; 'other' needs its comment"),
            "updateFields": serializers.DictField(required=False, help_text="Corrections, keys as PATCH data."),
            "admin": serializers.CharField(required=False),
        }),
        responses={200: StepAnswerSerializer, 400: ERROR_RESPONSE},
    )
    def post(self, request):
        body = _json_body(request)
        submission_id = _submission_id(body.get("submissionId"))
        status = body.get("status")
        if status not in (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED):
            raise SubmissionError(Step2ErrorCode.MISSING_PARAMETERS) if status is None else _invalid("status")
        codes, comment, messages = _reject_comment(body.get("rejectComment"))
        review_decide(
            submission_id=submission_id, actor=_api_actor(request, body.get("admin")), project=self.project,
            decision=Decision.APPROVE if status == SubmissionStatus.APPROVED else Decision.REJECT,
            codes=codes, comment=comment, messages=messages, edits=_edits(body.get("updateFields"), "updateFields"),
        )
        submission = Submission.objects.get(project=self.project, submission_id=submission_id)
        return Response(submission_answer_body(StepAnswer(submission=submission)))


class SubmissionImageApi(APIView):
    """A signed image URL: the signature is the credential, so no API key; it expires."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(operation_id="submission_image", summary="One image, through a signed URL from GET",
                   responses={(200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY), 400: ERROR_RESPONSE})
    def get(self, request, token: str):
        signed = stored_file_token_load(token, salt=API_SALT)
        if signed is None:
            return api_error_response(SubmissionError(Step1ErrorCode.UNAUTHORIZED))
        stored = StoredFile.objects.filter(pk=signed.get("f"), sha256__startswith=signed.get("s", "-")).first()
        if stored is None:
            return api_error_response(SubmissionError(Step2ErrorCode.NO_SUBMISSION))
        data = stored_file_read(stored)
        if data is None:
            return api_error_response(SubmissionError(Step2ErrorCode.NO_SUBMISSION))
        response = HttpResponse(data, content_type=stored.content_type)
        response["Cache-Control"] = "private, no-store"
        return response
