from django.urls import path

from . import apis, apis_data

app_name = "submissions"

urlpatterns = [
    path("submission/step1", apis.SubmissionStep1Api.as_view(), name="step1"),
    path("submission/validationaccount", apis.SubmissionPreStep2Api.as_view(), name="prestep2"),
    path("submission/step2", apis.SubmissionStep2Api.as_view(), name="step2"),
    path("submission", apis_data.SubmissionDataApi.as_view(), name="data"),
    path("submission/partial", apis_data.SubmissionPartialDeleteApi.as_view(), name="partial_delete"),
    path("submission/review", apis_data.SubmissionReviewApi.as_view(), name="review"),
    path("submission/image/<str:token>", apis_data.SubmissionImageApi.as_view(), name="image"),
]
