"""File uploads as Rocket.Chat serves them: `/file-upload/<id>/<name>`, readable only with the session.

Rocket.Chat's file route accepts the browser's `rc_uid`/`rc_token` cookies (set by the web client at
login) and answers 403 without them; `?download` makes it an attachment (Content-Disposition with the
file's name), otherwise the file shows inline (its preview opens in a pop-up window). The stand-in
serves a fixed set of files, plus one whose connection is cut half way (`?hold=<seconds>` keeps it
open that long first) and a slow one that takes about a minute, for the launcher's download tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from .state import SandboxState

__all__ = ["FILES", "file_routes"]

#: id -> (name, content type, content)
FILES: dict[str, tuple[str, str, bytes]] = {
    "report": ("Quarterly report.txt", "text/plain; charset=utf-8", b"Quarterly report\nRevenue: up.\n" * 40),
    "big": ("team photo archive.tar.gz", "application/gzip", bytes(range(256)) * 16384),  # 4 MiB
}
CUT_AFTER = 256 * 1024
_CUT_SIZE = 2 * 1024 * 1024
_HOLD_MAX_S = 10.0
SLOW_CHUNK = 64 * 1024
_SLOW_CHUNKS = 256  # 16 MiB, one chunk every 0.25 s


def _signed_in(request: Request) -> bool:
    state: SandboxState = request.app.state.sandbox
    user_id, token = request.cookies.get("rc_uid"), request.cookies.get("rc_token")
    return bool(user_id and token and state.store.find_token(token, user_id) is not None)


def _disposition(name: str, download: bool) -> str:
    kind = "attachment" if download else "inline"
    return f"{kind}; filename*=UTF-8''{quote(name)}"


async def file_upload(request: Request) -> Response:
    if not _signed_in(request):
        return PlainTextResponse("Forbidden", status_code=403)
    file_id = request.path_params["file_id"]
    download = "download" in request.query_params
    if file_id == "slow":
        return StreamingResponse(
            _slow_stream(),
            media_type="application/octet-stream",
            headers={
                "Content-Length": str(SLOW_CHUNK * _SLOW_CHUNKS),
                "Content-Disposition": _disposition("slow.bin", True),
            },
        )
    if file_id == "cut":
        try:
            hold = min(max(float(request.query_params.get("hold", "0.2")), 0.0), _HOLD_MAX_S)
        except ValueError:
            hold = 0.2
        return StreamingResponse(
            _cut_stream(hold),
            media_type="application/octet-stream",
            headers={"Content-Length": str(_CUT_SIZE), "Content-Disposition": _disposition("cut.bin", True)},
        )
    found = FILES.get(file_id)
    if found is None:
        return PlainTextResponse("Not found", status_code=404)
    name, content_type, body = found
    headers = {"Content-Disposition": _disposition(name, download), "Cache-Control": "private"}
    return Response(body, media_type=content_type, headers=headers)


async def _cut_stream(hold: float) -> AsyncIterator[bytes]:
    """Half a file, then the connection goes (a proxy timeout, a server restart)."""
    yield b"\0" * CUT_AFTER
    await asyncio.sleep(hold)
    raise ConnectionResetError("the stand-in cut this download on purpose")


async def _slow_stream() -> AsyncIterator[bytes]:
    """A large file over a slow line: long enough for a person to cancel it."""
    for _ in range(_SLOW_CHUNKS):
        yield b"\1" * SLOW_CHUNK
        await asyncio.sleep(0.25)


def file_routes() -> list[Route]:
    return [Route("/file-upload/{file_id}/{name:path}", file_upload, methods=["GET"])]
