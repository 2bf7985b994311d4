"""Logs hold no personal data and no bearer URL: redaction at the source, for gunicorn and Django alike.

Query strings carry what an access log must not keep: `?email=` and `?userid=` filters of the data
API, the review queue's search terms (`?q=`), the admin's signed image links (`?sig=`). The API's
signed image URLs carry their credential in the path (`/v3/submission/image/<token>`). So every
query value is replaced (a few harmless paging keys excepted), the image token is replaced, and
any e-mail address left in a line is replaced too.

gunicorn loads `RedactingGunicornLogger` from `gunicorn.conf.py`; Django's handlers use
`LogRedactFilter` (settings LOGGING). This module imports nothing from Django: gunicorn's master
process loads it before any application.
"""

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[redacted]"
# Query keys whose values say nothing about a person and help to read a log.
QUERY_KEYS_KEPT = frozenset({"count", "status", "p", "o", "page", "all", "format"})
# Request headers that are credentials: blank even if an operator's access_log_format names them.
HEADER_ATOMS_BLANKED = frozenset({"{x-api-key}i", "{authorization}i", "{cookie}i", "{set-cookie}o"})

_QUERY = re.compile(r"\?([^\s\"'#]*)")
_IMAGE_TOKEN = re.compile(r"(/v3/submission/image/)[^/\s\"'?#]+")
_EMAIL = re.compile(r"[^\s@\"'<>(),;:/?&=]+@[^\s@\"'<>(),;:/?&=]+\.[A-Za-z]{2,}")


def _query_redact(match: re.Match) -> str:
    pairs = []
    for pair in match.group(1).split("&"):
        key, sep, value = pair.partition("=")
        pairs.append(pair if not sep or key.lower() in QUERY_KEYS_KEPT else f"{key}={REDACTED}")
    return "?" + "&".join(pairs)


def log_text_redact(text: str) -> str:
    """`text` with query values, image tokens and e-mail addresses replaced."""
    if not text:
        return text
    text = _IMAGE_TOKEN.sub(rf"\1{REDACTED}", text)
    text = _QUERY.sub(_query_redact, text)
    return _EMAIL.sub(REDACTED, text)


def _arg_redact(value):
    return log_text_redact(value) if isinstance(value, str) else value


class LogRedactFilter(logging.Filter):
    """Redacts a record's message arguments (or its message when it has none) before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {key: _arg_redact(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_arg_redact(value) for value in record.args)
        elif isinstance(record.msg, str):
            record.msg = log_text_redact(record.msg)
        return True


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger with every access-log atom redacted (request line, path, query, referer, headers).

    Its error log gets the same filter: gunicorn logs a failed request's URI there.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if not any(isinstance(f, LogRedactFilter) for f in self.error_log.filters):
            self.error_log.addFilter(LogRedactFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: REDACTED if key in HEADER_ATOMS_BLANKED else _arg_redact(value) for key, value in atoms.items()}
