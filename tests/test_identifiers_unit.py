from __future__ import annotations

import pytest

from contract.identifiers import is_placeholder, normalize_email, normalize_phone, phone_country


@pytest.mark.parametrize("raw", ["0712 345 678", "254712345678", "+254712345678", "0712-345-678"])
def test_kenyan_numbers_normalise_to_e164(raw):
    assert normalize_phone(raw, "KE") == "+254712345678"


@pytest.mark.parametrize("raw", ["abc", "12", "", None, "undefined"])
def test_unparsable_numbers_are_none(raw):
    assert normalize_phone(raw, "KE") is None


def test_country_from_prefix():
    assert phone_country("+254712345678") == "KE"
    assert phone_country("+256772123456") == "UG"


@pytest.mark.parametrize("value", ["", "null", "UNDEFINED", "0", "Guest", "anonymous", None])
def test_placeholders(value):
    assert is_placeholder(value)


def test_real_ids_are_not_placeholders():
    assert not is_placeholder("A012345678Z")


def test_email_lowercased():
    assert normalize_email("  X@Y.Org ") == "x@y.org"
    assert normalize_email("nope") is None
