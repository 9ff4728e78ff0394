"""The sign-in flow over real HTTP: token service + Rocket.Chat stand-in + the real Secret Service.

Each outcome is checked three ways: the typed result, its message, and what the keyring holds after.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from launcher.signin.credentials import CredentialStore
from launcher.signin.flow import Failed, NeedsCredentials, SignedIn, SignInFlow
from launcher.signin.tokens import RocketChatToken
from tests.launcher.conftest import EMPLOYEES, RC_USERS, keyring_entry

pytestmark = pytest.mark.real


def rc_accepts(rc_url: str, token: RocketChatToken) -> bool:
    """Ask Rocket.Chat directly (not through the launcher) whether a token authenticates."""
    response = httpx.get(
        f"{rc_url}/api/v1/me", headers={"X-User-Id": token.user_id, "X-Auth-Token": token.auth_token}
    )
    return response.status_code == 200


def resume_login(rc_url: str, token: RocketChatToken) -> httpx.Response:
    """What the web client does with a token: a resume login, which does check expiry."""
    return httpx.post(f"{rc_url}/api/v1/login", json={"resume": token.auth_token})


def test_new_sign_in_stores_login_and_token(rc, org, store, settings_for, client_for, ledger):
    settings = settings_for(rc.url, org.url)
    flow = SignInFlow(settings, store, client=client_for(settings))

    outcome = flow.sign_in("alice", EMPLOYEES["alice"], remember=True)

    assert isinstance(outcome, SignedIn), outcome
    assert outcome.source == "new-login"
    assert outcome.warning is None
    assert rc_accepts(rc.url, outcome.token)
    assert keyring_entry(store, "org-login") == {
        "username": "alice",
        "password": EMPLOYEES["alice"],
        "server": f"{org.url}/api/login",  # bound to where it is sent (L5, test_stored_secrets_bound.py)
    }
    cached = keyring_entry(store, "rocketchat-token")
    assert cached["authToken"] == outcome.token.auth_token
    assert cached["userId"] == outcome.token.user_id == rc.user_id("alice")
    assert cached["server"] == rc.url


def test_resume_with_a_valid_cached_token_makes_exactly_one_request(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    first = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(first, SignedIn)

    client = client_for(settings)
    outcome = SignInFlow(settings, store, client=client).resume()

    assert isinstance(outcome, SignedIn), outcome
    assert outcome.source == "cached"
    assert outcome.username == "alice"
    assert outcome.token.auth_token == first.token.auth_token
    assert client.sent == ["GET /api/v1/me"]


def test_resume_without_cached_token_signs_in_with_stored_login_in_two_requests(
    rc, org, store, settings_for, client_for
):
    settings = settings_for(rc.url, org.url)
    store.save_login("alice", EMPLOYEES["alice"])

    client = client_for(settings)
    outcome = SignInFlow(settings, store, client=client).resume()

    assert isinstance(outcome, SignedIn), outcome
    assert outcome.source == "stored-login"
    assert client.sent == ["POST /api/login", "POST /api/rocketchat/token"]
    assert rc_accepts(rc.url, outcome.token)
    assert keyring_entry(store, "rocketchat-token")["authToken"] == outcome.token.auth_token


def test_cached_token_logged_out_at_rocketchat_is_replaced(rc, start_org, store, settings_for, client_for):
    org = start_org(token_revalidate_after=0.0)  # the service re-checks its cached token on every request
    settings = settings_for(rc.url, org.url)
    first = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(first, SignedIn)
    logout = httpx.post(
        f"{rc.url}/api/v1/logout",
        headers={"X-User-Id": first.token.user_id, "X-Auth-Token": first.token.auth_token},
    )
    assert logout.status_code == 200

    client = client_for(settings)
    outcome = SignInFlow(settings, store, client=client).resume()

    assert isinstance(outcome, SignedIn), outcome
    assert outcome.source == "stored-login"
    assert client.sent == ["GET /api/v1/me", "POST /api/login", "POST /api/rocketchat/token"]
    assert outcome.token.auth_token != first.token.auth_token
    assert rc_accepts(rc.url, outcome.token)
    assert keyring_entry(store, "rocketchat-token")["authToken"] == outcome.token.auth_token
    assert keyring_entry(store, "org-login")["password"] == EMPLOYEES["alice"]


def test_cached_token_past_its_known_expiry_is_not_even_checked(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    first = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(first, SignedIn)  # alice exists in Rocket.Chat once she signed in through the service
    user_id, old_token = rc.login_token("alice")
    expired = RocketChatToken(old_token, user_id, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    store.save_token(expired, rc.url)

    client = client_for(settings)
    outcome = SignInFlow(settings, store, client=client).resume()

    assert isinstance(outcome, SignedIn), outcome
    assert outcome.source == "stored-login"
    assert client.sent == ["POST /api/login", "POST /api/rocketchat/token"]
    assert outcome.token.auth_token != old_token


def test_a_token_logged_out_at_rocketchat_is_replaced_at_once(rc, org, store, settings_for, client_for):
    # The token service reuses a token until its periodic re-check; the launcher's revalidate hint makes
    # it drop that token now, so a token that Rocket.Chat just refused is replaced, not handed out again.
    settings = settings_for(rc.url, org.url)
    first = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(first, SignedIn)
    httpx.post(
        f"{rc.url}/api/v1/logout",
        headers={"X-User-Id": first.token.user_id, "X-Auth-Token": first.token.auth_token},
    ).raise_for_status()

    client = client_for(settings)
    outcome = SignInFlow(settings, store, client=client).resume()

    assert isinstance(outcome, SignedIn), outcome
    assert outcome.source == "stored-login"
    assert client.sent == ["GET /api/v1/me", "POST /api/login", "POST /api/rocketchat/token"]
    assert outcome.token.auth_token != first.token.auth_token
    assert rc_accepts(rc.url, outcome.token)
    assert keyring_entry(store, "rocketchat-token")["authToken"] == outcome.token.auth_token


def test_token_expired_in_rocketchat_is_replaced_when_the_page_rejects_it(
    rc, store, settings_for, client_for
):
    settings = settings_for(rc.url, mode="rocketchat")
    first = SignInFlow(settings, store, client=client_for(settings)).sign_in("rita", RC_USERS["rita"])
    assert isinstance(first, SignedIn)
    rc.expire_tokens("rita")

    # Rocket.Chat's REST layer does not check expiry: /me still passes, the page would not.
    again = SignInFlow(settings, store, client=client_for(settings)).resume()
    assert isinstance(again, SignedIn) and again.source == "cached"
    rejected = resume_login(rc.url, first.token)
    assert rejected.status_code == 401
    assert rejected.json()["message"] == "Your session has expired. Please log in again."

    # The window reports the rejection; refresh() mints a token the page accepts.
    client = client_for(settings)
    refreshed = SignInFlow(settings, store, client=client).refresh()

    assert isinstance(refreshed, SignedIn), refreshed
    assert refreshed.source == "stored-login"
    assert client.sent == ["POST /api/v1/login"]
    assert refreshed.token.auth_token != first.token.auth_token
    assert resume_login(rc.url, refreshed.token).status_code == 200
    assert keyring_entry(store, "rocketchat-token")["authToken"] == refreshed.token.auth_token


def test_wrong_password_typed_asks_again_and_stores_nothing(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)

    outcome = SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", "not-her-password")

    assert isinstance(outcome, NeedsCredentials), outcome
    assert outcome.username == "alice"
    assert outcome.message == "Your organization rejected the username or password; check them and try again."
    assert keyring_entry(store, "org-login") is None
    assert keyring_entry(store, "rocketchat-token") is None


def test_stored_password_rejected_is_forgotten_but_username_kept(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    store.save_login("alice", "an-old-password")  # the password was changed since it was stored

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, NeedsCredentials), outcome
    assert outcome.username == "alice"
    assert outcome.message == "Your organization rejected the username or password; check them and try again."
    assert keyring_entry(store, "org-login") == {"username": "alice"}
    assert keyring_entry(store, "rocketchat-token") is None


def test_first_run_needs_credentials_without_a_message(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    client = client_for(settings)

    outcome = SignInFlow(settings, store, client=client).resume()

    assert outcome == NeedsCredentials(username=None, message=None)
    assert client.sent == []


def test_empty_password_is_asked_for_without_a_request(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    client = client_for(settings)

    outcome = SignInFlow(settings, store, client=client).sign_in(" alice ", "")

    assert outcome == NeedsCredentials(username="alice", message="Enter your username and password.")
    assert client.sent == []


def test_not_remembering_keeps_only_the_username(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    store.save_login("alice", EMPLOYEES["alice"])

    outcome = SignInFlow(settings, store, client=client_for(settings)).sign_in(
        "alice", EMPLOYEES["alice"], remember=False
    )

    assert isinstance(outcome, SignedIn)
    assert keyring_entry(store, "org-login") == {"username": "alice"}
    assert keyring_entry(store, "rocketchat-token") is None


def test_remembered_organization_session_is_used_then_dropped_when_it_ends(
    rc, org, store, settings_for, client_for
):
    settings = settings_for(rc.url, org.url, organization__remember="session")
    outcome = SignInFlow(settings, store, client=client_for(settings)).sign_in("bob", EMPLOYEES["bob"])
    assert isinstance(outcome, SignedIn)
    assert keyring_entry(store, "org-login") == {"username": "bob"}  # no password in session mode
    session = keyring_entry(store, "org-session")
    assert session["username"] == "bob" and session["access_token"]
    store.forget_token()

    client = client_for(settings)
    resumed = SignInFlow(settings, store, client=client).resume()
    assert isinstance(resumed, SignedIn) and resumed.source == "stored-login"
    assert client.sent == ["POST /api/rocketchat/token"]  # the session, not the password

    ended = httpx.post(
        f"{org.url}/api/logout", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert ended.status_code == 200
    store.forget_token()
    after = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(after, NeedsCredentials), after
    assert after.username == "bob"
    assert keyring_entry(store, "org-session") is None


def test_cookie_sessions_work_against_the_token_service(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url, organization__login__session="cookie")
    client = client_for(settings)

    outcome = SignInFlow(settings, store, client=client).sign_in("erin", EMPLOYEES["erin"])

    assert isinstance(outcome, SignedIn), outcome
    assert rc_accepts(rc.url, outcome.token)


def test_sign_out_logs_the_token_out_and_forgets_everything(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    flow = SignInFlow(settings, store, client=client_for(settings))
    outcome = flow.sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(outcome, SignedIn)

    SignInFlow(settings, store, client=client_for(settings)).sign_out()

    assert not rc_accepts(rc.url, outcome.token)
    assert any(e["kind"] == "logout" and e.get("username") == "alice" for e in rc.events())
    for kind in ("org-login", "org-session", "rocketchat-token"):
        assert keyring_entry(store, kind) is None


# --- mode "rocketchat": Rocket.Chat's own /api/v1/login ---------------------------------------------------


def test_rocketchat_mode_signs_in_with_rocketchat_login(rc, store, settings_for, client_for):
    settings = settings_for(rc.url, mode="rocketchat")
    client = client_for(settings)

    outcome = SignInFlow(settings, store, client=client).sign_in("rita", RC_USERS["rita"])

    assert isinstance(outcome, SignedIn), outcome
    assert client.sent == ["POST /api/v1/login"]
    assert rc_accepts(rc.url, outcome.token)
    assert keyring_entry(store, "org-login") == {
        "username": "rita",
        "password": RC_USERS["rita"],
        "server": rc.url,  # mode "rocketchat": the password is bound to Rocket.Chat (L5)
    }


def test_rocketchat_mode_wrong_password(rc, store, settings_for, client_for):
    settings = settings_for(rc.url, mode="rocketchat")
    store.save_login("rita", "stale-password")

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, NeedsCredentials)
    assert outcome.message == "Rocket.Chat rejected the username or password; check them and try again."
    assert keyring_entry(store, "org-login") == {"username": "rita"}


def test_rocketchat_mode_rate_limit_says_how_long_to_wait(rc, store, settings_for, client_for):
    settings = settings_for(rc.url, mode="rocketchat")
    flow = SignInFlow(settings, store, client=client_for(settings))
    outcomes = [flow.sign_in("rita", "wrong-password") for _ in range(12)]

    limited = [o for o in outcomes if isinstance(o, Failed)]
    assert limited, outcomes
    assert limited[0].retryable
    assert limited[0].message.startswith(f"Rocket.Chat at {rc.url.removeprefix('http://')} is refusing more")
    assert "wait " in limited[0].message and " seconds and try again." in limited[0].message


def test_a_token_cached_for_another_rocketchat_is_ignored(rc, org, store, settings_for, client_for):
    settings = settings_for(rc.url, org.url)
    store.save_token(RocketChatToken("x" * 43, "someone"), "https://other.example.com")
    client = client_for(settings)

    outcome = SignInFlow(settings, store, client=client).resume()

    assert outcome == NeedsCredentials(username=None, message=None)
    assert client.sent == []


def test_store_is_the_real_secret_service(store: CredentialStore):
    assert store.backend_name == "keyring.backends.SecretService.Keyring"
