"""Registry lookups: nearest specimen (cached table), templates by kind, invalidated numbers by prefix."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import image_bytes
from documents.selectors import (
    invalidated_document_find,
    specimen_nearest,
    specimen_table,
    template_features_for,
)
from documents.services import (
    invalidated_document_add,
    specimen_add,
    specimen_delete,
    template_add,
)
from verification.registry import image_hashes

pytestmark = pytest.mark.django_db


def test_invalidated_lookup_by_exact_number_and_series(actor):
    invalidated_document_add(country="FRA", number_or_prefix="AB123456", reason="stolen", actor=actor)
    invalidated_document_add(country="FRA", number_or_prefix="X9*", reason="series", actor=actor)
    invalidated_document_add(country="FRA", number_or_prefix="X98*", reason="narrower series",
                             id_type="passport", actor=actor)
    # exact, whatever the case and spacing
    assert invalidated_document_find(country="fra", id_type="passport", number="ab 123-456").reason == "stolen"
    # an exact number is not a series
    assert invalidated_document_find(country="FRA", id_type="passport", number="AB1234567") is None
    # series: the longest prefix that applies to the type wins
    assert invalidated_document_find(country="FRA", id_type="passport", number="X98765").reason == "narrower series"
    assert invalidated_document_find(country="FRA", id_type="government_id", number="X98765").reason == "series"
    # another country, or nothing to look up
    assert invalidated_document_find(country="POL", id_type="passport", number="AB123456") is None
    assert invalidated_document_find(country="FRA", id_type="passport", number="") is None


def test_invalidated_lookup_tolerates_o_0_and_i_1_misreads(actor):
    # OCR-B's O and 0 are nearly the same glyph: the registered IOI228353 read as I0I228353
    invalidated_document_add(country="FRA", number_or_prefix="IOI228353", reason="stolen", actor=actor)
    entry = invalidated_document_find(country="FRA", id_type="government_id", number="I0I228353")
    assert entry is not None and entry.number == "IOI228353"
    assert invalidated_document_find(country="FRA", id_type="government_id", number="101228353") is not None
    assert invalidated_document_find(country="FRA", id_type="government_id", number="IOI228354") is None


def test_invalidated_lookup_is_one_query(actor):
    invalidated_document_add(country="FRA", number_or_prefix="X9*", reason="series", actor=actor)
    with CaptureQueriesContext(connection) as queries:
        invalidated_document_find(country="FRA", id_type="passport", number="X9123456789")
    assert len(queries) == 1
    assert "number_key" in queries[0]["sql"] and " IN " in queries[0]["sql"]


def test_specimen_table_is_cached_until_the_registry_changes(actor):
    first = specimen_add(country="FRA", id_type="passport", image=image_bytes(), actor=actor)
    table = specimen_table()
    assert table.ids.tolist() == [first.pk]
    assert specimen_table() is table  # unchanged registry: the same arrays
    second = specimen_add(country="FRA", id_type="passport", side="back", image=image_bytes(color=(90, 90, 90)),
                          actor=actor)
    assert specimen_table().ids.tolist() == [first.pk, second.pk]
    specimen_delete(specimen=first, actor=actor)
    assert specimen_table().ids.tolist() == [second.pk]


def test_specimen_nearest_compares_the_same_side_only(actor):
    import io

    from PIL import Image

    from verification.imaging import analysis_image
    from verification.registry import document_crop

    data = image_bytes()
    specimen = specimen_add(country="FRA", id_type="passport", side="back", image=data, actor=actor)
    hashes = [image_hashes(document_crop(analysis_image(Image.open(io.BytesIO(data)), max_side=1600)).rgb)]
    assert specimen_nearest(hashes=hashes, side="front") is None
    match = specimen_nearest(hashes=hashes, side="back")
    assert match.specimen_id == specimen.pk and (match.country, match.id_type) == ("FRA", "passport")
    assert match.hash_match.hash_distance == 0 and match.hash_match.block_distance == 0


def test_templates_by_country_type_and_side(actor):
    from verification.tests.registry_samples import document

    template = template_add(country="UTO", id_type="government_id", image=document("id_card", 10, country="UTO").front,
                            actor=actor)
    found = template_features_for(country="uto", id_type="government_id", side="front")
    assert [t.template_id for t in found] == [template.pk] and len(found[0].features.keypoints) > 300
    assert template_features_for(country="UTO", id_type="government_id", side="back") == []
    assert template_features_for(country="UTO", id_type="passport", side="front") == []
