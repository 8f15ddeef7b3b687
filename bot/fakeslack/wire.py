"""Decoding what slack_sdk sends: query strings, form and JSON bodies, multipart uploads."""

from __future__ import annotations

import email.parser
import email.policy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart/form-data request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


def maybe_json(value: Any) -> Any:
    """Decode a JSON string (form-encoded Slack args carry JSON as strings); pass others through."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _flatten_qs(raw: str) -> dict[str, Any]:
    parsed = parse_qs(raw, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    # The email package is the stdlib's only multipart parser now that cgi is deprecated.
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    params: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if not message.is_multipart():
        return params, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            params[name] = data.decode("utf-8", errors="replace")
        else:
            files[name] = UploadedFile(name, filename, part.get_content_type(), data)
    return params, files


def parse_params(
    query: str, headers: Mapping[str, str], body: bytes
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Query + body as one dict (repeated form keys become lists), and any uploaded files."""
    params = _flatten_qs(query)
    files: dict[str, UploadedFile] = {}
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form, files = _parse_multipart(content_type, body)
        params.update(form)
        return params, files
    text = body.decode("utf-8", errors="replace")
    # Sniff JSON rather than trusting Content-Type: Slack accepts JSON bodies on any method.
    if text.lstrip().startswith("{"):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(decoded)
            return params, files
    if text:
        params.update(_flatten_qs(text))
    return params, files
