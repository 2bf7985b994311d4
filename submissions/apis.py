"""The public v3 API: thin views that parse, call one service, and render an envelope."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import Actor
from kycreview.client_ip import client_ip

from .auth import ApiKeyAuthentication, api_project_resolve
from .choices import ID_TYPE_UNIVERSAL, IdType, SubmissionStatus
from .codes import Step1ErrorCode, Step2ErrorCode, code_message
from .exceptions import SubmissionError
from .inputs import input_control_fields, prestep2_input_parse, step1_input_parse, step2_input_parse
from .models import Submission
from .services import StepAnswer, submission_prestep2, submission_step1, submission_step2


def submission_answer_body(answer: StepAnswer) -> dict:
    """The success or retry envelope of `api.md`, with the decision when there is one."""
    submission = answer.submission
    body: dict = {"submissionId": submission.submission_id}
    if answer.retry:
        body["retry"] = [
            {"retryCode": f.code.value, "retryMsg": code_message(f.code, f.variant, **f.params)}
            for f in answer.retry
        ]
    body["kycStatus"] = submission.status
    body["retryCount"] = submission.retry_count
    body["idType"] = submission.id_type or submission.requested_id_type
    body["issuingCountry"] = submission.issuing_country
    if submission.status in (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED):
        body["kyc"] = submission_kyc_block(submission)
    return body


def submission_kyc_block(submission: Submission) -> dict:
    return {"result": submission.status, "commentCode": submission.reject_codes, "comment": submission.reject_comments}


class ErrorSerializer(serializers.Serializer):
    statusCode = serializers.IntegerField()
    errorCode = serializers.CharField()
    message = serializers.CharField()


class RetryItemSerializer(serializers.Serializer):
    retryCode = serializers.CharField()
    retryMsg = serializers.CharField()


class KycBlockSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=SubmissionStatus.choices)
    commentCode = serializers.ListField(child=serializers.CharField())
    comment = serializers.ListField(child=serializers.CharField())


class StepAnswerSerializer(serializers.Serializer):
    submissionId = serializers.CharField()
    retry = RetryItemSerializer(many=True, required=False, help_text="Present on a retry answer.")
    kycStatus = serializers.ChoiceField(choices=SubmissionStatus.choices)
    retryCount = serializers.IntegerField()
    idType = serializers.CharField()
    issuingCountry = serializers.CharField()
    kyc = KycBlockSerializer(required=False, help_text="Present once approved or rejected.")


ERROR_RESPONSE = OpenApiResponse(
    ErrorSerializer,
    description="A documented error code (see the code tables); nothing was created or changed.",
    examples=[OpenApiExample("invalid_email", value={
        "statusCode": 400, "errorCode": "invalid_email", "message": "Invalid email address format."})],
)


class SubmissionApi(APIView):
    """Authenticates the key, then resolves and checks the project before the view runs."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes: list = []
    fault_code = Step1ErrorCode.DATA_PROCESSING_ERROR
    input_format_code = Step1ErrorCode.INVALID_INPUT_FORMAT
    multiline_fields: frozenset[str] = frozenset()  # free-text fields that may hold line breaks

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Before anything reads a value (the project lookup included): a control character
        # is refused once here for every field of every endpoint, never stored or queried.
        bad = [*input_control_fields(request.query_params),
               *input_control_fields(request.data, multiline=self.multiline_fields)]
        if bad:
            raise SubmissionError(self.input_format_code, parameters=", ".join(dict.fromkeys(bad)))
        project_id = request.data.get("projectId", "") if hasattr(request.data, "get") else ""
        self.project = api_project_resolve(api_key=request.auth, project_id=str(project_id or "").strip())
        self.actor = Actor.for_api_key(request.auth)


class Step1RequestSerializer(serializers.Serializer):
    issuingCountry = serializers.CharField(help_text="ISO 3166-1 alpha-3 of the document's issuer.")
    email = serializers.EmailField()
    idType = serializers.ChoiceField(choices=[*IdType.values, ID_TYPE_UNIVERSAL])
    idImage = serializers.ImageField(help_text="Front of the document, JPEG or PNG.")
    idBackImage = serializers.ImageField(required=False, help_text="Back of the document.")
    submissionId = serializers.CharField(required=False, help_text="Retry Step 1 of this submission.")
    userid = serializers.CharField(required=False)
    cf1 = serializers.CharField(required=False)
    cf2 = serializers.CharField(required=False)
    cf3 = serializers.CharField(required=False)
    customOptions = serializers.CharField(
        required=False, help_text='JSON object that may switch project rules off, e.g. {"approvePeriod": false}.'
    )
    projectId = serializers.CharField(required=False, help_text="If sent, must be the key's project.")


class SubmissionStep1Api(SubmissionApi):
    parser_classes = [MultiPartParser, FormParser]
    fault_code = Step1ErrorCode.DATA_PROCESSING_ERROR

    @extend_schema(
        operation_id="submission_step1",
        summary="Step 1: create a submission (or retry its Step 1) with the ID document",
        request={"multipart/form-data": Step1RequestSerializer},
        responses={200: StepAnswerSerializer, 400: ERROR_RESPONSE},
    )
    def post(self, request):
        data = step1_input_parse(request.data, request.FILES)
        answer = submission_step1(project=self.project, actor=self.actor, data=data, client_ip=client_ip(request))
        return Response(submission_answer_body(answer))


class PreStep2RequestSerializer(serializers.Serializer):
    submissionId = serializers.CharField()
    requestType = serializers.ChoiceField(choices=["occupancy"])
    userName = serializers.CharField(help_text="Account holder's name.")
    bankCode = serializers.RegexField(r"^\d{3}$")
    accountNumber = serializers.RegexField(r"^\d{6,20}$")


class SubmissionPreStep2Api(SubmissionApi):
    parser_classes = [JSONParser]
    fault_code = Step2ErrorCode.UNEXPECTED_ERROR
    input_format_code = Step2ErrorCode.INVALID_INPUT_FORMAT

    @extend_schema(
        operation_id="submission_validationaccount",
        summary="PreStep2: Korean 1-won account-occupancy deposit",
        description="Only for projects with `account_occupancy_kor`; other projects answer "
        "`invalid_bank_authentication`. The applicant reads the code in the depositor text and "
        "sends it at Step 2 as `userOccupancyCode`.",
        request=PreStep2RequestSerializer,
        responses={200: StepAnswerSerializer, 400: ERROR_RESPONSE},
    )
    def post(self, request):
        data = prestep2_input_parse(request.data)
        submission = submission_prestep2(project=self.project, actor=self.actor, data=data)
        return Response(submission_answer_body(StepAnswer(submission=submission)))


class Step2RequestSerializer(serializers.Serializer):
    submissionId = serializers.CharField()
    faceImage = serializers.ImageField(help_text="Selfie, JPEG or PNG.")
    name = serializers.CharField()
    date_of_birth = serializers.DateField()
    gender = serializers.ChoiceField(choices=["male", "female", "M", "F", "other"], required=False)
    nationality = serializers.CharField(required=False)
    identity_number = serializers.CharField(required=False)
    license_number = serializers.CharField(required=False)
    date_of_issue = serializers.DateField(required=False)
    date_of_expiry = serializers.DateField(required=False)
    document_number = serializers.CharField(required=False)
    serial_number = serializers.CharField(required=False)
    idType = serializers.ChoiceField(choices=IdType.values, required=False,
                                     help_text="Required when Step 1 used universal and did not resolve it.")
    globalCode = serializers.CharField(required=False)
    compoundCode = serializers.CharField(required=False)
    formatted_address = serializers.CharField(required=False)
    address_input = serializers.CharField(required=False)
    address_detail = serializers.CharField(required=False)
    addressImage = serializers.ImageField(required=False)
    userOccupancyName = serializers.CharField(required=False)
    userOccupancyCode = serializers.CharField(required=False)
    projectId = serializers.CharField(required=False)


class SubmissionStep2Api(SubmissionApi):
    parser_classes = [MultiPartParser, FormParser]
    fault_code = Step2ErrorCode.UNEXPECTED_ERROR
    input_format_code = Step2ErrorCode.INVALID_INPUT_FORMAT

    @extend_schema(
        operation_id="submission_step2",
        summary="Step 2: selfie, identity data, address and bank code",
        request={"multipart/form-data": Step2RequestSerializer},
        responses={200: StepAnswerSerializer, 400: ERROR_RESPONSE},
    )
    def post(self, request):
        data = step2_input_parse(request.data, request.FILES)
        answer = submission_step2(project=self.project, actor=self.actor, data=data)
        return Response(submission_answer_body(answer))
