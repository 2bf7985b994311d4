"""Comparing people's names as typed by applicants, read by OCR, or reported by a bank."""

import unicodedata


def name_normalise(name: str) -> str:
    """Case-, accent-, space- and punctuation-insensitive form of a name.

    Hangul and other scripts keep their letters; only marks, spaces and punctuation go.
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def names_match(a: str, b: str) -> bool:
    return bool(a) and name_normalise(a) == name_normalise(b)
