"""`SealedField`: a column holding ciphertext while the model attribute holds the plaintext.

Values are sealed with the data key of the submission they belong to (`key_from` names the
attribute path to its id) when the row is saved, and opened on first access after a load. Empty
values are stored as NULL, which needs no key. Equality lookups on a sealed column cannot work:
search by the keyed hash beside it (`email_key`, `name_key`, `document_key`).
"""

import base64
import json
import operator
import uuid
from functools import cached_property
from typing import Any

from django.db import models

from .crypto import VaultError, blob_is_sealed, seal, sealed_key_raw, unseal
from .selectors import data_key_cipher, data_keys_remember, data_keys_warm


class Sealed(bytes):
    """Ciphertext as loaded, not opened yet."""


def blob_seal(plaintext: bytes, *, key_id: uuid.UUID, context: bytes) -> bytes:
    """`plaintext` sealed with data key `key_id`; `context` names what it is (a field, "file")."""
    cipher = data_key_cipher(key_id)
    if cipher is None:
        raise VaultError(f"data key {key_id} is destroyed")
    return seal(key_id, cipher, plaintext, context=context)


def blob_open(blob: bytes, *, context: bytes) -> bytes | None:
    """The plaintext of a sealed blob; None once its data key is destroyed (the submission was erased)."""
    if not blob_is_sealed(blob):
        raise VaultError("not a sealed value")
    cipher = data_key_cipher(sealed_key_raw(blob))
    return None if cipher is None else unseal(cipher, blob, context=context)


CODECS = {
    "text": (lambda value: str(value).encode(), lambda raw: raw.decode()),
    "json": (
        lambda value: json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(),
        lambda raw: json.loads(raw.decode()),
    ),
    "bytes": (bytes, bytes),
}


class SealedDescriptor:
    def __init__(self, field: "SealedField") -> None:
        self.field = field

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, Sealed):
            # A key joined with the row (`select_related("data_key__project_key")`) saves a query.
            joined = instance._state.fields_cache.get("data_key")
            if joined is not None:
                data_keys_remember([joined])
            value = self.field.open(value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class SealedField(models.BinaryField):
    def __init__(self, *args: Any, codec: str = "text", key_from: str = "data_key_id", **kwargs: Any) -> None:
        self.codec, self.key_from = codec, key_from
        kwargs["null"] = True
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("null", None)
        if self.codec != "text":
            kwargs["codec"] = self.codec
        if self.key_from != "data_key_id":
            kwargs["key_from"] = self.key_from
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type, name: str, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.attname, SealedDescriptor(self))

    @cached_property
    def context(self) -> bytes:
        return f"{self.model._meta.label_lower}.{self.name}".encode()

    def empty(self) -> Any:
        return self.get_default() if self.has_default() else {"text": "", "bytes": b""}.get(self.codec)

    def is_empty(self, value: Any) -> bool:
        return value is None or (not isinstance(value, (int, float, bool)) and len(value) == 0)

    def open(self, blob: bytes) -> Any:
        """Plaintext of a stored blob; the field's empty value once its key is destroyed (erased)."""
        plaintext = blob_open(blob, context=self.context)
        return self.empty() if plaintext is None else CODECS[self.codec][1](plaintext)

    def open_many(self, values: list[Any]) -> list[Any]:
        """Open values read with `values_list()`, fetching their keys in one query."""
        data_keys_warm(sealed_key_raw(value) for value in values if isinstance(value, Sealed))
        return [self.open(value) if isinstance(value, Sealed) else value for value in values]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return self.empty()
        value = bytes(value)
        if not blob_is_sealed(value):
            raise VaultError(f"{self.model._meta.label}.{self.name} holds a value that is not sealed")
        return Sealed(value)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, Sealed) or self.is_empty(value):
            return value
        key_id = operator.attrgetter(self.key_from)(model_instance)
        if key_id is None:
            raise VaultError(f"{model_instance._meta.label} has no data key to seal {self.name} with")
        key_id = key_id if isinstance(key_id, uuid.UUID) else uuid.UUID(str(key_id))
        return Sealed(blob_seal(CODECS[self.codec][0](value), key_id=key_id, context=self.context))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if self.is_empty(value):
            return None
        if not isinstance(value, Sealed):
            # An update() or bulk_update() has no row to take the key from: only save() can seal.
            raise VaultError(f"{self.model._meta.label}.{self.name} is sealed on save(); it cannot be set in bulk")
        return super().get_db_prep_value(bytes(value), connection, prepared)

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj), default=str)

    def to_python(self, value: Any) -> Any:
        return value


# -- values sealed inside JSON (audit trails) ------------------------------------------

SEALED_TOKEN_PREFIX = "sealed:"
ERASED_TOKEN_VALUE = "[erased]"


def token_seal(value: Any, *, key_id: uuid.UUID, context: bytes) -> str:
    """One JSON value as a sealed string token, for JSON documents whose other values stay readable."""
    blob = blob_seal(CODECS["json"][0](value), key_id=key_id, context=context)
    return SEALED_TOKEN_PREFIX + base64.b64encode(blob).decode()


def token_open(value: Any, *, context: bytes) -> Any:
    """A token's value; "[erased]" once its key is destroyed; anything else unchanged."""
    if not (isinstance(value, str) and value.startswith(SEALED_TOKEN_PREFIX)):
        return value
    plaintext = blob_open(base64.b64decode(value[len(SEALED_TOKEN_PREFIX) :]), context=context)
    return ERASED_TOKEN_VALUE if plaintext is None else CODECS["json"][1](plaintext)


def tokens_seal(value: Any, *, keys: frozenset[str], key_id: uuid.UUID, context: bytes) -> Any:
    """`value` with the values of `keys`, at any depth, replaced by sealed tokens."""
    if isinstance(value, dict):
        return {
            name: token_seal(item, key_id=key_id, context=context) if name in keys and item not in (None, "")
            else tokens_seal(item, keys=keys, key_id=key_id, context=context)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [tokens_seal(item, keys=keys, key_id=key_id, context=context) for item in value]
    return value


def tokens_open(value: Any, *, context: bytes) -> Any:
    if isinstance(value, dict):
        return {name: tokens_open(item, context=context) for name, item in value.items()}
    if isinstance(value, list):
        return [tokens_open(item, context=context) for item in value]
    return token_open(value, context=context)
