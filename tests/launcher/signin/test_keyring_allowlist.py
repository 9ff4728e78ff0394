"""Security info item: the keyring check is an allowlist of the operating systems' own stores (Secret
Service/libsecret, KWallet, Windows Credential Manager, macOS Keychain); everything else is refused with
one sentence. The real Secret Service runs here; the Windows, macOS, KWallet and libsecret backends cannot,
so the ``_mocked_`` tests check the allowlist decision on their real classes without calling them."""

from __future__ import annotations

import keyring.backend
import pytest
from keyring.backends import SecretService, Windows, chainer, fail, kwallet, libsecret, macOS, null

from launcher.errors import KeyringUnavailable
from launcher.signin.credentials import OS_STORES, CredentialStore, os_store


def uncalled(cls: type) -> keyring.backend.KeyringBackend:
    """An instance of a backend class without running its set-up (which needs its OS)."""
    return object.__new__(cls)


class TinyKeyring(keyring.backend.KeyringBackend):
    """A third-party backend: it may work perfectly, but it is not the OS's store."""

    priority = 1  # type: ignore[assignment]
    viable = False  # keep it out of keyring's own choice for the rest of the session

    def get_password(self, service, username):
        raise AssertionError("must not be used")

    def set_password(self, service, username, password):
        raise AssertionError("must not be used")

    def delete_password(self, service, username):
        raise AssertionError("must not be used")


class DerivedSecretService(SecretService.Keyring):
    """Third-party code deriving from an allowed class is still third-party code."""

    viable = False


@pytest.mark.real
def test_the_real_secret_service_passes(store: CredentialStore):
    assert store.check() == "keyring.backends.SecretService.Keyring"
    assert os_store(store.backend)


@pytest.mark.parametrize(
    "cls",
    [
        Windows.WinVaultKeyring,
        macOS.Keyring,
        kwallet.DBusKeyring,
        kwallet.DBusKeyringKWallet4,
        libsecret.Keyring,
    ],
    ids=["windows", "macos", "kwallet", "kwallet4", "libsecret"],
)
def test_os_stores_are_allowed_mocked_without_their_os(cls):
    backend = uncalled(cls)
    assert os_store(backend)
    assert f"{cls.__module__}.{cls.__qualname__}" in OS_STORES


def test_a_chainer_of_os_stores_only_is_allowed_mocked(monkeypatch):
    monkeypatch.setattr(
        chainer.ChainerBackend, "backends", [uncalled(SecretService.Keyring), uncalled(kwallet.DBusKeyring)]
    )
    assert os_store(chainer.ChainerBackend())


@pytest.mark.parametrize(
    "chained",
    [[], [TinyKeyring()], [uncalled(SecretService.Keyring), TinyKeyring()]],
    ids=["empty", "third-party-only", "os-store-and-third-party"],
)
def test_a_chainer_with_anything_but_os_stores_is_refused_mocked(monkeypatch, chained):
    monkeypatch.setattr(chainer.ChainerBackend, "backends", chained)
    store = CredentialStore("rocketchat-launcher", backend=chainer.ChainerBackend())
    with pytest.raises(KeyringUnavailable) as caught:
        store.load_login()
    assert str(caught.value).startswith(
        "No usable system keyring was found (found only keyring.backends.chainer.ChainerBackend, which "
    )


@pytest.mark.parametrize("cls", [TinyKeyring, DerivedSecretService], ids=["custom", "derived"])
def test_third_party_backends_are_refused(cls):
    backend = cls() if cls is TinyKeyring else uncalled(cls)
    store = CredentialStore("rocketchat-launcher", backend=backend)
    with pytest.raises(KeyringUnavailable) as caught:
        store.save_login("alice", "pw")
    name = f"{cls.__module__}.{cls.__qualname__}"
    assert str(caught.value) == (
        f"No usable system keyring was found (found only {name}, which is not one of the operating system's "
        "own stores: the Secret Service, KWallet, Windows Credential Manager or the macOS Keychain), so "
        "nothing can be remembered; ask IT to remove that keyring backend or its configuration "
        "(PYTHON_KEYRING_BACKEND, keyringrc.cfg)."
    )


@pytest.mark.parametrize(
    "module, qualname",
    [("keyrings.alt.file", "PlaintextKeyring"), ("keyrings.alt.file", "EncryptedKeyring")],
    ids=["plaintext-file", "encrypted-file"],
)
def test_file_backends_are_refused(module, qualname):
    # keyrings.alt is deliberately not installed; a class carrying its names stands for it.
    cls = type(qualname, (TinyKeyring,), {"__module__": module, "__qualname__": qualname, "viable": False})
    assert not os_store(cls())


@pytest.mark.parametrize("backend", [null.Keyring(), fail.Keyring()], ids=["null", "fail"])
def test_no_keyring_backends_keep_their_message(backend):
    with pytest.raises(KeyringUnavailable) as caught:
        CredentialStore("rocketchat-launcher", backend=backend).check()
    assert "which would not keep secrets safe" in str(caught.value)
