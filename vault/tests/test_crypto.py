"""vault.crypto: the ciphers, on bytes alone."""

import uuid

import pytest

from vault.crypto import (
    VaultError,
    blob_is_sealed,
    key_new,
    key_unwrap,
    key_wrap,
    master_key_derive,
    master_key_generate,
    master_keys_parse,
    seal,
    sealed_key_id,
    unseal,
)


def test_a_sealed_value_opens_with_its_key_and_context_only():
    key_id, key = uuid.uuid4(), key_new()
    blob = seal(key_id, key, b"Anna Nowak", context=b"submissions.submission.email")
    assert blob_is_sealed(blob) and sealed_key_id(blob) == key_id
    assert b"Anna" not in blob
    assert unseal(key, blob, context=b"submissions.submission.email") == b"Anna Nowak"
    with pytest.raises(VaultError):
        unseal(key, blob, context=b"submissions.submission.entered_data")  # moved to another column
    with pytest.raises(VaultError):
        unseal(key_new(), blob, context=b"submissions.submission.email")


def test_a_flipped_bit_or_a_swapped_key_id_is_refused():
    key_id, key = uuid.uuid4(), key_new()
    blob = bytearray(seal(key_id, key, b"1990-04-12", context=b"c"))
    tampered = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])
    with pytest.raises(VaultError):
        unseal(key, tampered, context=b"c")
    relabelled = blob[:3] + uuid.uuid4().bytes + blob[19:]
    with pytest.raises(VaultError):
        unseal(key, bytes(relabelled), context=b"c")


def test_two_seals_of_one_value_differ():
    key_id, key = uuid.uuid4(), key_new()
    assert seal(key_id, key, b"same", context=b"c") != seal(key_id, key, b"same", context=b"c")


def test_a_wrapped_key_opens_only_under_its_label():
    wrapping, key = key_new(), key_new()
    wrapped = key_wrap(wrapping, key, label=b"data-key|1")
    assert key not in wrapped
    assert key_unwrap(wrapping, wrapped, label=b"data-key|1") == key
    with pytest.raises(VaultError):
        key_unwrap(wrapping, wrapped, label=b"data-key|2")


def test_master_keys_parse_the_generated_entries_and_refuse_bad_ones():
    first, second = master_key_generate("2027"), master_key_generate("2026")
    keys = master_keys_parse(f"{first}, {second}")
    assert [k.key_id for k in keys] == ["2027", "2026"] and all(len(k.secret) == 32 for k in keys)
    for bad in ("nokey", "a:short", f"{first},{first}", ":abc"):
        with pytest.raises(VaultError):
            master_keys_parse(bad)


def test_a_derived_master_key_depends_on_the_secret():
    assert master_key_derive("one").secret != master_key_derive("two").secret
    assert master_key_derive("one").secret == master_key_derive("one").secret
