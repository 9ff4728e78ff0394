"""Uploads as Rocket.Chat takes them: `POST /api/v1/rooms.media/<rid>`, then `rooms.mediaConfirm`.

Rocket.Chat's web client sends each file as its own multipart/form-data request (field `file`) with the
REST headers `X-User-Id`/`X-Auth-Token`, gets the stored file's id back, and confirms it with a second
call that turns it into a message. The stand-in keeps the files in memory and records an `upload` event
(name, type, size and SHA-256, never the content) so tests can see what arrived. Parsing uses the
standard library's MIME parser, the same format browsers send.
"""

from __future__ import annotations

import hashlib
import secrets
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api import authenticate
from .state import SandboxState

__all__ = ["MAX_UPLOAD", "upload_routes"]

MAX_UPLOAD = 20 * 1024 * 1024  # Rocket.Chat's FileUpload_MaxFileSize default is 100 MB; tests need far less


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _refuse(message: str, status: int) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=status)


def _file_part(content_type: str, body: bytes) -> Message | None:
    """The `file` part of a multipart/form-data body, or None."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    parsed = BytesParser(policy=HTTP).parsebytes(head + body)
    if not parsed.is_multipart():
        return None
    for part in parsed.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return part
    return None


async def rooms_media(request: Request) -> Response:
    found = authenticate(request)
    if found is None:
        return _refuse("You must be logged in to do this.", 401)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return _refuse("The request must be multipart/form-data with a `file` field.", 400)
    body = await request.body()
    if len(body) > MAX_UPLOAD:
        return _refuse("File size exceeds the allowed size.", 413)
    part = _file_part(content_type, body)
    if part is None:
        return _refuse("[No file uploaded]", 400)
    content = part.get_payload(decode=True) or b""
    name = part.get_filename() or "file"
    file_id = secrets.token_hex(8)
    uploads = _state(request).uploads
    uploads[file_id] = {
        "name": name,
        "type": part.get_content_type(),
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "room": request.path_params["rid"],
        "user": found[0].username,
        "confirmed": False,
    }
    return JSONResponse({"success": True, "file": {"_id": file_id, "url": f"/file-upload/{file_id}/{name}"}})


async def rooms_media_confirm(request: Request) -> Response:
    found = authenticate(request)
    if found is None:
        return _refuse("You must be logged in to do this.", 401)
    upload = _state(request).uploads.get(request.path_params["file_id"])
    if upload is None or upload["user"] != found[0].username or upload["room"] != request.path_params["rid"]:
        return _refuse("File not found", 400)
    upload["confirmed"] = True
    _state(request).store.record("upload", **{k: v for k, v in upload.items() if k != "confirmed"})
    message = {"_id": secrets.token_hex(8), "rid": upload["room"], "file": {"name": upload["name"]}}
    return JSONResponse({"success": True, "message": message})


def upload_routes() -> list[Route]:
    return [
        Route("/api/v1/rooms.media/{rid}", rooms_media, methods=["POST"]),
        Route("/api/v1/rooms.mediaConfirm/{rid}/{file_id}", rooms_media_confirm, methods=["POST"]),
    ]
