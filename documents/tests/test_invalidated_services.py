"""invalidated_document_add and the CSV import: normalisation, series, duplicates, all-or-nothing."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from documents.choices import InvalidationMatch
from documents.models import InvalidatedDocument, document_number_normalise
from documents.services import (
    invalidated_document_add,
    invalidated_document_delete,
    invalidated_documents_import_csv,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("raw", "normalised"), [("ab 12-345", "AB12345"), (" x1 ", "X1"), ("A/B.C", "ABC")])
def test_numbers_are_normalised(raw, normalised):
    assert document_number_normalise(raw) == normalised


def test_add_an_exact_number_and_a_series(actor):
    exact = invalidated_document_add(country="fra", number_or_prefix="12ab 3456", reason="stolen", actor=actor)
    series = invalidated_document_add(country="FRA", number_or_prefix="X9-*", reason="batch recalled",
                                      id_type="passport", source="ministry list 2026-05", actor=actor)
    assert (exact.country, exact.number, exact.match, exact.id_type) == ("FRA", "12AB3456", "exact", "")
    assert (series.number, series.match, series.id_type) == ("X9", InvalidationMatch.PREFIX, "passport")
    assert AuditEvent.objects.filter(action="invalidated_document_added").count() == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"country": "ZZZ"}, "not an ISO"),
    ({"number_or_prefix": " - "}, "empty"),
    ({"reason": ""}, "reason is required"),
    ({"id_type": "visa"}, "not an id type"),
])
def test_add_refuses_bad_entries(actor, kwargs, message):
    arguments = {"country": "FRA", "number_or_prefix": "123", "reason": "lost", **kwargs}
    with pytest.raises(ValidationError, match=message):
        invalidated_document_add(actor=actor, **arguments)


def test_a_duplicate_is_refused(actor):
    invalidated_document_add(country="FRA", number_or_prefix="1O3", reason="lost", actor=actor)
    for same in ("1 o-3", "103"):  # the same number, or one that reads the same (O/0)
        with pytest.raises(ValidationError, match="already registered"):
            invalidated_document_add(country="FRA", number_or_prefix=same, reason="again", actor=actor)
    assert InvalidatedDocument.objects.count() == 1


def test_csv_import_adds_rows_skips_duplicates_and_audits_once(actor):
    invalidated_document_add(country="FRA", number_or_prefix="111", reason="lost", actor=actor)
    content = (
        b"country,number_or_prefix,reason\n"
        b"FRA,111,lost again\n"  # already registered
        b"fra, 222-333 ,stolen\n"
        b"# a comment line\n"
        b"\n"
        b"POL,AB*,series withdrawn,passport\n"
        b"POL,AB*,series withdrawn,passport\n"  # repeated in the file
    )
    result = invalidated_documents_import_csv(content=content, source="csv:list.csv", actor=actor)
    assert (result.created, result.duplicates, result.errors) == (2, 2, [])
    rows = set(InvalidatedDocument.objects.values_list("country", "number", "match", "id_type", "source"))
    assert ("FRA", "222333", "exact", "", "csv:list.csv") in rows
    assert ("POL", "AB", "prefix", "passport", "csv:list.csv") in rows
    event = AuditEvent.objects.get(action="invalidated_documents_imported")
    assert event.after["created"] == 2 and event.after["source"] == "csv:list.csv"


def test_csv_import_is_all_or_nothing(actor):
    content = "FRA,123,ok\nXXX,456,bad country\nFRA,789\n"
    result = invalidated_documents_import_csv(content=content, source="bad.csv", actor=actor)
    assert result.created == 0 and not InvalidatedDocument.objects.exists()
    assert result.errors[0].startswith("Line 2: ") and "ISO 3166" in result.errors[0]
    assert result.errors[1].startswith("Line 3: expected")
    assert not AuditEvent.objects.exists()


def test_csv_import_refuses_non_utf8(actor):
    result = invalidated_documents_import_csv(content=b"\xff\xfe\x00", source="x", actor=actor)
    assert result.errors == ["The file is not UTF-8 text."]


def test_delete_audits(actor):
    entry = invalidated_document_add(country="FRA", number_or_prefix="123", reason="lost", actor=actor)
    invalidated_document_delete(entry=entry, actor=actor)
    assert not InvalidatedDocument.objects.exists()
    assert AuditEvent.objects.get(action="invalidated_document_deleted").before["number"] == "123"
