"""A sign-in service with another layout (configured, not the tokenservice defaults), and the user
documentation kept in step with the keys the code knows."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from launcher.config import KEYS, load_settings
from launcher.signin.flow import NeedsCredentials, SignedIn, SignInFlow
from rcsandbox.background import BackgroundServer
from tests.launcher.conftest import REPO_ROOT, keyring_entry


@pytest.fixture
def variant_service(rc):
    """Form login with fields user/pass, token at data.session.token; GET /v2/chat-token answers
    {"result": {"rc": {"token", "uid", "expires"}}} with a token minted in the Rocket.Chat stand-in."""
    sessions: dict[str, str] = {}

    async def session(request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("user") != "frank" or form.get("pass") != "frank-variant-pw":
            return JSONResponse({"error": "nope"}, status_code=403)
        sessions["s-frank-session-001"] = "rita"  # frank is rita in Rocket.Chat
        return JSONResponse({"data": {"session": {"token": "s-frank-session-001"}}})

    async def chat_token(request: Request) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in sessions:
            return JSONResponse({"error": "no session"}, status_code=401)
        user_id, token = rc.login_token(sessions[bearer])
        return JSONResponse(
            {"result": {"rc": {"token": token, "uid": user_id, "expires": "2099-01-01T00:00:00Z"}}}
        )

    app = Starlette(
        routes=[
            Route("/", lambda request: JSONResponse({})),
            Route("/v2/session", session, methods=["POST"]),
            Route("/v2/chat-token", chat_token, methods=["GET"]),
        ]
    )
    with BackgroundServer(app) as server:
        yield server.url


@pytest.mark.real
def test_configured_layout_signs_in(rc, variant_service, store, settings_for, client_for, ledger):
    settings = settings_for(
        rc.url,
        variant_service,
        organization__login__url="/v2/session",
        organization__login__body="form",
        organization__login__username_field="user",
        organization__login__password_field="pass",
        organization__login__session_token_path="data.session.token",
        organization__login__expires_in_path="",
        organization__token__url="/v2/chat-token",
        organization__token__method="GET",
        organization__token__auth_token_path="result.rc.token",
        organization__token__user_id_path="result.rc.uid",
        organization__token__expires_at_path="result.rc.expires",
        organization__logout__url="",
    )
    ledger.add("frank-variant-pw", "s-frank-session-001")
    client = client_for(settings)

    wrong = SignInFlow(settings, store, client=client).sign_in("frank", "bad-variant-pw")
    outcome = SignInFlow(settings, store, client=client).sign_in("frank", "frank-variant-pw")

    assert isinstance(wrong, NeedsCredentials)
    assert isinstance(outcome, SignedIn), outcome
    assert outcome.token.user_id == rc.user_id("rita")
    assert outcome.token.expires_at.year == 2099
    assert client.sent[-2:] == ["POST /v2/session", "GET /v2/chat-token"]
    assert keyring_entry(store, "rocketchat-token")["expiresAt"].startswith("2099-01-01T00:00:00")


def test_every_key_is_documented_and_in_the_example():
    docs = (REPO_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", docs, flags=re.MULTILINE))
    assert documented == set(KEYS)

    example = REPO_ROOT / "launcher.example.toml"
    settings = load_settings(env={}, config_file=example, site_config_dirs=[])
    from_example = {key for key, source in settings.sources.items() if source == str(example)}
    assert from_example == set(KEYS)
