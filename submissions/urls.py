from django.urls import path

from . import apis

app_name = "submissions"

urlpatterns = [
    path("submission/step1", apis.SubmissionStep1Api.as_view(), name="step1"),
    path("submission/validationaccount", apis.SubmissionPreStep2Api.as_view(), name="prestep2"),
    path("submission/step2", apis.SubmissionStep2Api.as_view(), name="step2"),
]
