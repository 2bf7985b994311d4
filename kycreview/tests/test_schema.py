from django.core.management import call_command


def test_openapi_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn turns any drf-spectacular guess into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in ("/v3/submission/step1:", "/v3/submission/validationaccount:", "/v3/submission/step2:"):
        assert path in schema
    assert "x-api-key" in schema


def test_schema_and_docs_are_served_without_a_cdn(client, db):
    schema = client.get("/v3/schema/")
    assert schema.status_code == 200
    docs = client.get("/v3/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_health(client, db):
    # Each dependency is named (kycreview/health.py); the test settings have no shared cache or broker.
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
