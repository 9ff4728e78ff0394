"""Security item L5 (a): a stored secret is bound to the server it is sent to. Pointing the configuration
(here ROCKETCHAT_LAUNCHER_CONFIG, as an attacker or a stray shortcut would) at another sign-in service must
not send it the stored password or session: the person is asked again, and the stored entry is replaced
only once a new sign-in succeeds. Real token services, the real Secret Service."""

from __future__ import annotations

from pathlib import Path

import pytest

from launcher.config import load_settings
from launcher.paths import Paths
from launcher.signin.flow import NeedsCredentials, SignedIn, SignInFlow
from tests.launcher.conftest import EMPLOYEES, RC_USERS, keyring_entry, to_toml

pytestmark = pytest.mark.real


def redirected(profile: Paths, tmp_path: Path, **flat) -> object:
    """The settings of the next start once ROCKETCHAT_LAUNCHER_CONFIG names a file with ``flat``."""
    other = tmp_path / "other.toml"
    other.write_text(to_toml(flat), encoding="utf-8")
    return load_settings(env={"ROCKETCHAT_LAUNCHER_CONFIG": str(other)}, paths=profile, site_config_dirs=[])


def changed_message(server: str) -> str:
    return (
        f"The sign-in address is now {server}, not the one your password was saved for; enter your password "
        "to sign in there, but only if you trust that address."
    )


def test_stored_password_is_not_sent_to_another_organization(
    rc, start_org, store, settings_for, client_for, profile, tmp_path
):
    org, elsewhere = start_org(), start_org()  # "elsewhere" would accept alice's password too
    settings = settings_for(rc.url, org.url)
    assert isinstance(
        SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"]),
        SignedIn,
    )
    store.forget_token()  # no cached token: the next start would need the password

    moved = redirected(profile, tmp_path, **{"organization.url": elsewhere.url})
    client = client_for(moved)
    outcome = SignInFlow(moved, store, client=client).resume()

    assert outcome == NeedsCredentials(
        username="alice", message=changed_message(f"{elsewhere.url}/api/login")
    )
    assert client.sent == []  # nothing went to the other service
    assert keyring_entry(store, "org-login")["server"] == f"{org.url}/api/login"  # kept until a new sign-in
    assert keyring_entry(store, "org-login")["password"] == EMPLOYEES["alice"]

    typed = SignInFlow(moved, store, client=client).sign_in("alice", EMPLOYEES["alice"])
    assert isinstance(typed, SignedIn), typed
    assert keyring_entry(store, "org-login")["server"] == f"{elsewhere.url}/api/login"  # replaced


def test_an_absolute_login_address_elsewhere_is_a_change_too(
    rc, start_org, store, settings_for, client_for, profile, tmp_path
):
    org, elsewhere = start_org(), start_org()
    settings = settings_for(rc.url, org.url)
    SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])
    store.forget_token()

    moved = redirected(profile, tmp_path, **{"organization.login.url": f"{elsewhere.url}/api/login"})
    client = client_for(moved)
    outcome = SignInFlow(moved, store, client=client).resume()

    assert isinstance(outcome, NeedsCredentials) and outcome.message == changed_message(
        f"{elsewhere.url}/api/login"
    )
    assert client.sent == []


def test_a_password_stored_by_an_older_version_is_bound_on_first_use(
    rc, org, store, settings_for, client_for
):
    settings = settings_for(rc.url, org.url)
    store.save_login("alice", EMPLOYEES["alice"])  # the old entry: no server
    assert "server" not in keyring_entry(store, "org-login")

    outcome = SignInFlow(settings, store, client=client_for(settings)).resume()

    assert isinstance(outcome, SignedIn) and outcome.source == "stored-login", outcome
    assert keyring_entry(store, "org-login") == {
        "username": "alice",
        "password": EMPLOYEES["alice"],
        "server": f"{org.url}/api/login",
    }


def test_stored_session_is_not_sent_to_another_organization(
    rc, start_org, store, settings_for, client_for, profile, tmp_path
):
    org, elsewhere = start_org(), start_org()
    settings = settings_for(rc.url, org.url, organization__remember="session")
    SignInFlow(settings, store, client=client_for(settings)).sign_in("bob", EMPLOYEES["bob"])
    assert keyring_entry(store, "org-session")["server"] == f"{org.url}/api/rocketchat/token"
    store.forget_token()

    moved = redirected(
        profile, tmp_path, **{"organization.url": elsewhere.url, "organization.remember": "session"}
    )
    client = client_for(moved)
    flow = SignInFlow(moved, store, client=client)
    outcome = flow.resume()

    assert outcome == NeedsCredentials(
        username="bob", message=changed_message(f"{elsewhere.url}/api/rocketchat/token")
    )
    flow.sign_out()  # the session is not sent to the other service's logout either, only forgotten
    assert client.sent == []
    assert keyring_entry(store, "org-session") is None


def test_rocketchat_mode_password_is_bound_to_rocketchat(
    rc, store, settings_for, client_for, profile, tmp_path
):
    settings = settings_for(rc.url, mode="rocketchat")
    SignInFlow(settings, store, client=client_for(settings)).sign_in("rita", RC_USERS["rita"])
    store.forget_token()

    moved = redirected(profile, tmp_path, **{"rocketchat.url": "http://127.0.0.1:9"})
    client = client_for(moved)
    outcome = SignInFlow(moved, store, client=client).resume()

    assert outcome == NeedsCredentials(username="rita", message=changed_message("http://127.0.0.1:9"))
    assert client.sent == []


def test_cached_token_is_bound_to_its_rocketchat(rc, org, store, settings_for, client_for, profile, tmp_path):
    settings = settings_for(rc.url, org.url)
    SignInFlow(settings, store, client=client_for(settings)).sign_in("alice", EMPLOYEES["alice"])

    moved = redirected(profile, tmp_path, **{"rocketchat.url": "http://127.0.0.1:9"})
    client = client_for(moved)
    SignInFlow(moved, store, client=client).resume()

    assert "GET /api/v1/me" not in client.sent  # the token was never shown to the other Rocket.Chat
