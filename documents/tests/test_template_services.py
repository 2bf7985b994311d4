"""template_add / template_delete: ORB features extracted and stored, audited."""

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from conftest import image_bytes
from documents.models import DocumentTemplate
from documents.services import template_add, template_delete
from verification.registry import Features
from verification.tests.registry_samples import document

pytestmark = pytest.mark.django_db


def test_template_add_stores_the_features_of_the_rectified_document(actor):
    template = template_add(country="UTO", id_type="government_id", side="front",
                            image=document("id_card", 10, country="UTO").front, actor=actor)
    template.refresh_from_db()
    features = Features.from_npz_bytes(bytes(template.features))
    assert template.keypoint_count == len(features.keypoints) > 300
    assert features.descriptors.shape == (template.keypoint_count, 32) and features.descriptors.dtype == np.uint8
    assert template.document_detected
    assert AuditEvent.objects.get(action="document_template_added").after["keypoints"] == template.keypoint_count


def test_an_image_without_enough_print_is_refused(actor):
    with pytest.raises(ValidationError, match="distinctive points"):
        template_add(country="UTO", id_type="passport", image=image_bytes(), actor=actor)
    assert not DocumentTemplate.objects.exists()


def test_template_delete(actor, django_capture_on_commit_callbacks):
    template = template_add(country="USA", id_type="drivers_license",
                            image=document("drivers_license", 10).front, actor=actor)
    with django_capture_on_commit_callbacks(execute=True):
        template_delete(template=template, actor=actor)
    assert not DocumentTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="document_template_deleted").count() == 1
