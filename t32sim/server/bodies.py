"""Request bodies of ``POST /apply``: bounded reading, then validated manifests.

YAML bodies go to ``t32sim.spec.load_manifests`` as **bytes**, which it always parses
as YAML text (never as a path: a body reading ``examples/api-v1.yaml`` is a
string, not a file on the server), with its guards: 64 KiB, an alias-expansion
node budget, a nesting depth, no duplicate keys. So the server has
one YAML parser and one set of guards, the library's. JSON bodies are parsed here
and must be a mapping before ``load_manifests`` sees them (a JSON string could name a
file). Every failure is an ``ApiError`` or a ``SpecError``, answered as
``{error, detail, field}``.
"""
from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from t32sim.server.errors import ApiError
from t32sim.spec import MAX_DOCUMENT_BYTES, Manifests, SpecError, load_manifests

__all__ = ["read_body", "parse_spec_body", "YAML_TYPES", "JSON_TYPES"]

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml",
              "text/plain")
JSON_TYPES = ("application/json",)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it is longer than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large",
                    f"The body is larger than {limit} bytes; a Service spec is far smaller.",
                    "body")


#: how ``load_spec`` starts the message for a readable document that is not a Service
_NOT_A_SERVICE = "expected a Service document"


def parse_spec_body(raw: bytes, content_type: str | None) -> dict[str, Any] | list:
    """Validated manifests from a YAML (default) or JSON body, as the journal stores them
    (``Manifests.journal_document()``: one canonical Service document, or the documents
    of a Deployment / Rollout / Service / HPA file as given).

    Field errors raise ``SpecError`` (422 naming the field); a body that is not a
    readable document raises ``ApiError`` (400/413/415/422, field ``body``).
    """
    media = (content_type or "application/yaml").split(";")[0].strip().lower()
    if media not in YAML_TYPES + JSON_TYPES:
        raise ApiError(415, "unsupported_media_type",
                       f"Send the spec as application/yaml, text/plain or application/json, "
                       f"not {media}.", "Content-Type")
    if not raw.strip():
        raise ApiError(400, "empty_body", "The body is empty: send one kind: Service "
                                          "document.", "body")
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise _too_large(MAX_DOCUMENT_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_encoding", "The body is not UTF-8 text.", "body") from None
    if media in JSON_TYPES:
        return _load_json(text).journal_document()
    return _load_yaml(raw).journal_document()


def _load_json(text: str) -> Manifests:
    try:
        doc = json.loads(text)
    except ValueError as error:
        raise ApiError(400, "bad_json", f"The body is not valid JSON: {error}.",
                       "body") from None
    except RecursionError:
        raise ApiError(400, "bad_json", "The JSON is nested too deeply.", "body") from None
    if not isinstance(doc, dict):
        raise ApiError(422, "invalid_spec", f"The body must be one mapping (a kind: Service "
                                            f"document), not {type(doc).__name__}.", "body")
    return load_manifests(doc)


def _load_yaml(raw: bytes) -> Manifests:
    try:
        return load_manifests(raw)     # bytes: always YAML text, never a path
    except SpecError as error:
        if any(path for path, _ in error.errors):
            raise                      # the document was read: a field is wrong
        message = error.errors[0][1] if error.errors else str(error)
        detail = message[:1].upper() + message[1:] + "."
        if message.startswith(_NOT_A_SERVICE):
            raise ApiError(422, "invalid_spec", detail, "body") from None
        raise ApiError(400, "bad_yaml", detail, "body") from None
