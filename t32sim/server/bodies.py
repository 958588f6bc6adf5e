"""Request bodies of ``POST /apply``: bounded reading and safe YAML/JSON parsing.

The body is parsed here, never handed to ``load_spec`` as text: a one-line body
ending in ``.yaml`` would otherwise be read as a *path* on the server. YAML
anchors and aliases are refused (they can blow a small body up into a huge
document), and so is anything that is not one mapping.
"""
from __future__ import annotations

import json
from typing import Any

import yaml
from fastapi import Request

from t32sim.server.errors import ApiError

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


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not accepted in a Service spec",
                event.start_mark)
        return super().compose_node(parent, index)


def parse_spec_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """One Service document as a dict, from YAML (default) or JSON text."""
    media = (content_type or "application/yaml").split(";")[0].strip().lower()
    if media not in YAML_TYPES + JSON_TYPES:
        raise ApiError(415, "unsupported_media_type",
                       f"Send the spec as application/yaml, text/plain or application/json, "
                       f"not {media}.", "Content-Type")
    if not raw.strip():
        raise ApiError(400, "empty_body", "The body is empty: send one kind: Service "
                                          "document.", "body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_encoding", "The body is not UTF-8 text.", "body") from None
    if media in JSON_TYPES:
        try:
            doc = json.loads(text)
        except ValueError as error:
            raise ApiError(400, "bad_json", f"The body is not valid JSON: {error}.",
                           "body") from None
        except RecursionError:
            raise ApiError(400, "bad_json", "The JSON is nested too deeply.", "body") from None
    else:
        doc = _load_yaml(text)
    if not isinstance(doc, dict):
        raise ApiError(422, "invalid_spec", f"The body must be one mapping (a kind: Service "
                                            f"document), not {type(doc).__name__}.", "body")
    return doc


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_NoAliasLoader)   # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ApiError(400, "bad_yaml", f"The body is not valid YAML{where}: {problem}.",
                       "body") from None
    except RecursionError:
        raise ApiError(400, "bad_yaml", "The YAML is nested too deeply.", "body") from None
