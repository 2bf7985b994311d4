"""The ciphers of encryption at rest: pure functions over bytes, no database (docs/security.md).

Three layers of keys, all AES-256-GCM from `cryptography`:
- master keys come from the environment (`KYC_MASTER_KEYS`) and only ever wrap project keys;
- a project key (`vault.ProjectKey`, stored wrapped) wraps the data keys of its project;
- a data key (`vault.DataKey`, stored wrapped) encrypts one submission's personal fields and images.

Rotating a master or project key re-wraps the layer below (a few hundred bytes a row), never the data.
Erasing a submission destroys its wrapped data key, which leaves every ciphertext of it unreadable,
backups included, with all the keys that remain.
"""

import base64
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
# "KV" and the format version: a blob starting otherwise is not ours (e.g. a file written before encryption).
SEALED_MAGIC = b"KV\x01"
SEALED_HEADER_BYTES = len(SEALED_MAGIC) + 16 + NONCE_BYTES


class VaultError(Exception):
    """A key is missing, destroyed or wrong, or a ciphertext was altered."""


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    secret: bytes


def master_keys_parse(text: str) -> list[MasterKey]:
    """`id:base64key[,id:base64key...]`, the current key first; ids name keys in ProjectKey rows."""
    keys = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id:
            raise VaultError("KYC_MASTER_KEYS entries are id:base64key")
        try:
            secret = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError as exc:
            raise VaultError(f"master key {key_id!r} is not base64") from exc
        if len(secret) != KEY_BYTES:
            raise VaultError(f"master key {key_id!r} must be {KEY_BYTES} bytes")
        keys.append(MasterKey(key_id, secret))
    if len({k.key_id for k in keys}) != len(keys):
        raise VaultError("KYC_MASTER_KEYS repeats a key id")
    return keys


def master_key_generate(key_id: str) -> str:
    """One `id:base64key` entry with a fresh random key."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip('=')}"


def master_key_derive(secret: str, key_id: str = "local") -> MasterKey:
    """A master key derived from a secret: only for `make run` and tests, never production."""
    derived = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"kycreview master key").derive(
        secret.encode()
    )
    return MasterKey(key_id, derived)


def key_new() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def key_wrap(wrapping_key: "bytes | AESGCM", key: bytes, *, label: bytes) -> bytes:
    """nonce || AES-GCM(key); `label` names what the key is for, so a wrapped key cannot be moved."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _cipher(wrapping_key).encrypt(nonce, key, label)


def key_unwrap(wrapping_key: "bytes | AESGCM", wrapped: bytes, *, label: bytes) -> bytes:
    try:
        return _cipher(wrapping_key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], label)
    except (InvalidTag, ValueError) as exc:
        raise VaultError("a wrapped key does not open with this key") from exc


def sealed_key_id(blob: bytes) -> uuid.UUID:
    """The data key a sealed blob needs; VaultError when the blob is not sealed."""
    if not blob_is_sealed(blob):
        raise VaultError("not a sealed value")
    return uuid.UUID(bytes=sealed_key_raw(blob))


def sealed_key_raw(blob: bytes) -> bytes:
    """The 16 bytes of the data key id a sealed blob names (no check: for blobs known to be sealed)."""
    return bytes(blob[len(SEALED_MAGIC) : len(SEALED_MAGIC) + 16])


def blob_is_sealed(blob: bytes) -> bool:
    return len(blob) > SEALED_HEADER_BYTES and bytes(blob[: len(SEALED_MAGIC)]) == SEALED_MAGIC


def _cipher(key: "bytes | AESGCM") -> AESGCM:
    return key if isinstance(key, AESGCM) else AESGCM(key)


def seal(key_id: uuid.UUID, key: "bytes | AESGCM", plaintext: bytes, *, context: bytes) -> bytes:
    """magic || key id || nonce || AES-GCM(plaintext). `context` (the field) is bound as associated data,
    so a ciphertext copied into another column or under another key's id does not open. `key` may be
    the key's bytes or a cipher already made from them (the key cache keeps those)."""
    header = SEALED_MAGIC + key_id.bytes
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + _cipher(key).encrypt(nonce, plaintext, header + context)


def unseal(key: "bytes | AESGCM", blob: bytes, *, context: bytes) -> bytes:
    header = blob[: len(SEALED_MAGIC) + 16]
    try:
        return _cipher(key).decrypt(blob[len(header) : SEALED_HEADER_BYTES], blob[SEALED_HEADER_BYTES:],
                                    bytes(header) + context)
    except InvalidTag as exc:
        raise VaultError("a sealed value does not open: altered, or sealed for another field") from exc
