"""The credential store: the real Secret Service, chunking for Windows' size limit, refused backends,
and a clear error when the keyring is absent or locked (subprocesses with their own D-Bus environment)."""

from __future__ import annotations

import keyring
import keyring.backend
import pytest
from keyring.backends import fail, null
from keyring.errors import PasswordDeleteError, PasswordSetError

from launcher.errors import CredentialStoreError, KeyringUnavailable
from launcher.signin.credentials import CHUNK_SIZE, CredentialStore
from launcher.signin.tokens import OrgSession, RocketChatToken

NO_KEYRING = (
    "No usable system keyring was found, so nothing can be remembered; on Linux start a Secret Service "
    "such as GNOME Keyring or KWallet, or ask IT."
)
LOCKED = (
    "The system keyring is locked; unlock it (for example by logging in to your desktop again) and try again."
)


class FakeWindowsCredentialManager(keyring.backend.KeyringBackend):
    """Mock of Windows Credential Manager (not available on Linux): rejects blobs over 2560 bytes of
    UTF-16 as CredWrite does (error 1783), and keys entries on target = service or username@service."""

    priority = 5  # type: ignore[assignment]
    # Every KeyringBackend subclass registers itself with keyring; not viable keeps this fake out of the
    # backend keyring picks for the rest of the test session.
    viable = False
    BLOB_LIMIT = 2560

    def __init__(self) -> None:
        super().__init__()
        self.vault: dict[str, tuple[str, str]] = {}
        self.largest_blob = 0

    def _target(self, service: str, username: str) -> str:
        existing = self.vault.get(service)
        return service if existing is None or existing[0] == username else f"{username}@{service}"

    def get_password(self, service: str, username: str) -> str | None:
        for target in (service, f"{username}@{service}"):
            entry = self.vault.get(target)
            if entry is not None and entry[0] == username:
                return entry[1]
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        blob = len(password.encode("utf-16-le"))
        if blob > self.BLOB_LIMIT:
            raise PasswordSetError((1783, "CredWrite", "The stub received bad data."))
        self.largest_blob = max(self.largest_blob, blob)
        self.vault[self._target(service, username)] = (username, password)

    def delete_password(self, service: str, username: str) -> None:
        for target in (service, f"{username}@{service}"):
            entry = self.vault.get(target)
            if entry is not None and entry[0] == username:
                del self.vault[target]
                return
        raise PasswordDeleteError("Password not found")


# It stands for keyring's own Windows backend, which the store's allowlist of OS stores admits by name.
FakeWindowsCredentialManager.__module__ = "keyring.backends.Windows"
FakeWindowsCredentialManager.__qualname__ = "WinVaultKeyring"


def long_session(length: int) -> OrgSession:
    # An organization JWT of several kilobytes: far over Windows' ~1280-character limit.
    return OrgSession(username="alice", access_token="eyJ" + "a" * length, cookies={}, expires_at=None)


def test_long_value_is_chunked_with_mocked_windows_credential_manager():
    vault = FakeWindowsCredentialManager()
    store = CredentialStore("rocketchat-launcher", backend=vault)
    session = long_session(5000)

    store.save_session(session)

    assert store.load_session() == session
    assert vault.largest_blob <= FakeWindowsCredentialManager.BLOB_LIMIT
    chunk_users = sorted(user for user, _ in vault.vault.values() if user.startswith("session#"))
    assert chunk_users == [f"session#{i}" for i in range(1, 7)]  # 5000+ chars / 1000 per chunk

    store.save_session(long_session(10))  # shrinking leaves no orphaned chunks behind
    assert store.load_session() == long_session(10)
    assert [user for user, _ in vault.vault.values() if "#" in user] == []


def test_without_chunking_the_mocked_windows_credential_manager_would_refuse():
    vault = FakeWindowsCredentialManager()
    with pytest.raises(PasswordSetError):
        vault.set_password("rocketchat-launcher/org-session", "session", "x" * (CHUNK_SIZE * 2))


def test_missing_chunk_reads_as_nothing_stored_not_as_a_truncated_value():
    vault = FakeWindowsCredentialManager()
    store = CredentialStore("rocketchat-launcher", backend=vault)
    store.save_session(long_session(3000))
    vault.delete_password("rocketchat-launcher/org-session", "session#2")

    assert store.load_session() is None


@pytest.mark.real
def test_real_secret_service_round_trip_with_chunks(store: CredentialStore):
    session = long_session(4000)
    store.save_session(session)
    store.save_login("alice", "pässwörd with ünïcode")
    token = RocketChatToken("t" * 43, "u" * 17)
    store.save_token(token, "https://chat.example.com")

    assert store.load_session() == session
    assert keyring.get_password(store.service("org-session"), "session").startswith("chunked:v1:5:")
    assert store.load_login().password == "pässwörd with ünïcode"
    assert store.load_token("https://chat.example.com") == token

    store.forget_password()
    assert store.load_login().password is None
    assert store.load_login().username == "alice"

    store.clear()
    assert store.load_session() is None and store.load_login() is None
    assert keyring.get_password(store.service("org-session"), "session#1") is None


@pytest.mark.real
def test_namespaces_are_separate(store: CredentialStore):
    other = CredentialStore(store.namespace + "-other")
    store.save_login("alice", "pw-one")
    try:
        assert other.load_login() is None
    finally:
        other.clear()


@pytest.mark.parametrize("backend", [null.Keyring(), fail.Keyring()], ids=["null", "fail"])
def test_unsafe_backends_are_refused(backend):
    store = CredentialStore("rocketchat-launcher", backend=backend)
    with pytest.raises(KeyringUnavailable) as caught:
        store.save_login("alice", "pw")
    assert str(caught.value).startswith("No usable system keyring was found (found only keyring.backends.")


def test_plaintext_file_backend_is_refused():
    class PlaintextKeyring(keyring.backend.KeyringBackend):
        """Stands for keyrings.alt.file.PlaintextKeyring (keyrings.alt is deliberately not installed)."""

        priority = 0.5  # type: ignore[assignment]
        viable = False  # see FakeWindowsCredentialManager

        def get_password(self, service, username):
            raise AssertionError("must not be used")

        def set_password(self, service, username, password):
            raise AssertionError("must not be used")

        def delete_password(self, service, username):
            raise AssertionError("must not be used")

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    PlaintextKeyring.__qualname__ = "PlaintextKeyring"
    store = CredentialStore("rocketchat-launcher", backend=PlaintextKeyring())
    with pytest.raises(KeyringUnavailable) as caught:
        store.load_login()
    assert "keyrings.alt.file.PlaintextKeyring" in str(caught.value)


def configure(profile) -> None:
    profile.config_dir.mkdir(parents=True, exist_ok=True)
    profile.user_config_file.write_text(
        '[rocketchat]\nurl = "http://127.0.0.1:9"\n[organization]\nurl = "http://127.0.0.1:9"\n'
    )


@pytest.mark.real
def test_sign_in_without_a_keyring_fails_before_asking_anyone(run_cli, no_keyring_env, profile):
    configure(profile)
    result = run_cli(
        "sign-in",
        "--username",
        "alice",
        "--password-stdin",
        input="alice-org-pw\n",
        env=no_keyring_env,
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "No usable system keyring was found (found only keyring.backends.fail.Keyring, which would not keep "
        "secrets safe), so nothing can be remembered; on Linux start a Secret Service such as GNOME Keyring "
        "or KWallet, or ask IT."
    )


@pytest.mark.real
def test_sign_in_with_a_locked_keyring(run_cli, locked_keyring_env, profile):
    configure(profile)
    result = run_cli(
        "sign-in",
        "--username",
        "alice",
        "--password-stdin",
        input="alice-org-pw\n",
        env=locked_keyring_env,
    )

    assert result.returncode == 1
    assert result.stderr.strip() in (
        LOCKED,
        "The system keyring is locked and its unlock prompt was dismissed; unlock it and try again.",
    )


@pytest.mark.real
def test_doctor_reports_an_absent_keyring(run_cli, no_keyring_env, profile):
    configure(profile)
    result = run_cli("doctor", env=no_keyring_env)

    assert result.returncode == 1
    keyring_line = next(line for line in result.stdout.splitlines() if "] Keyring:" in line)
    assert keyring_line.startswith("[FAIL] Keyring: No usable system keyring was found")


def _replaced_between_search_and_read(store: CredentialStore, new_value: str, times: int):
    """The real Secret Service backend, made to interleave as two threads or processes can: after a read
    found the token's item, a writer replaces the entry (deletes it, then saves `new_value` as a new item)
    before the secret is fetched, `times` times. The fetch then meets the real gnome-keyring's "Object does
    not exist" (secretstorage's ItemNotFoundException), as the window test of a revoked session once did."""
    from contextlib import closing

    backend = type(store.backend)()  # its own instance: the process-wide default one stays untouched
    writer = type(backend)()  # a second connection: what the other thread or process uses
    service = store.service("rocketchat-token")
    left = [times]

    def get_password(svc: str, username: str) -> str | None:
        collection = backend.get_preferred_collection()
        with closing(collection.connection):
            for item in collection.search_items({"service": svc, "username": username}):
                if left[0] > 0 and svc == service and username == "token":
                    left[0] -= 1
                    writer.delete_password(svc, username)
                    writer.set_password(svc, username, new_value)
                return item.get_secret().decode("utf-8")
        return None

    backend.get_password = get_password  # type: ignore[method-assign]  (the instance: still the real class)
    return backend


@pytest.mark.real
def test_a_token_replaced_while_it_is_read_is_read_again(store: CredentialStore):
    store.save_token(RocketChatToken("old-token-" + "o" * 33, "u" * 17), "https://chat.example.com")
    fresh = CredentialStore(store.namespace + "-scratch")
    try:
        fresh.save_token(RocketChatToken("new-token-" + "n" * 33, "u" * 17), "https://chat.example.com")
        new_value = keyring.get_password(fresh.service("rocketchat-token"), "token")
    finally:
        fresh.clear()
    racing = CredentialStore(store.namespace, backend=_replaced_between_search_and_read(store, new_value, 1))

    assert racing.load_token("https://chat.example.com") == RocketChatToken("new-token-" + "n" * 33, "u" * 17)


@pytest.mark.real
def test_an_entry_that_never_stops_changing_is_one_clear_error(store: CredentialStore):
    store.save_token(RocketChatToken("old-token-" + "o" * 33, "u" * 17), "https://chat.example.com")
    value = keyring.get_password(store.service("rocketchat-token"), "token")
    racing = CredentialStore(store.namespace, backend=_replaced_between_search_and_read(store, value, 10))

    with pytest.raises(CredentialStoreError, match="kept changing while the launcher read it"):
        racing.load_token("https://chat.example.com")
