"""schemathesis over the whole OpenAPI schema: generated requests, real HTTP, no 5xx, no schema violation.

The schema is the one the application serves (drf-spectacular); every operation is called with
the project's key against the live test server. Checks: no server error, a documented status
code, the documented content type, and a body that matches the response schema.
"""

import json

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from submissions.services import api_key_create
from submissions.tests.factories import ProjectFactory

SCHEMA = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_key(transactional_db, live_server):
    _, raw_key = api_key_create(project=ProjectFactory(name="schemathesis"))
    return raw_key


@SCHEMA.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_honours_the_schema(case, api_key, live_server):
    case.call_and_validate(base_url=live_server.url, headers={"x-api-key": api_key}, checks=CHECKS)
