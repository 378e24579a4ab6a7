"""Responses that hand the caller a file: private, never cached, never sniffed."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse, Response

PRIVATE = {"Cache-Control": "private, no-store"}


def attachment(document: str | bytes, media_type: str, filename: str) -> Response:
    """A document made for this request (an export, a bank file), to be saved as `filename`."""
    return Response(
        document,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **PRIVATE},
    )


def stored_file(path: Path, media_type: str, filename: str) -> FileResponse:
    """A file stored earlier (an uploaded document), streamed from disk as the uploader named it."""
    return FileResponse(
        path, media_type=media_type, filename=filename, headers={"X-Content-Type-Options": "nosniff", **PRIVATE}
    )
