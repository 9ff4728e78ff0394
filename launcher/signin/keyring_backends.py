"""Which keyring backend the store uses, and whether it is an operating system's own store.

The credential store (credentials.py) keeps secrets only in the OS stores: an allowlist of keyring's
backends for the Secret Service or libsecret, KWallet, Windows Credential Manager and the macOS Keychain,
or keyring's chainer of nothing but those. Anything else (a plaintext file backend, the null or fail
backend, a third-party plugin) is refused with one sentence naming the fix.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

import keyring
import keyring.backend
from keyring.backends import chainer, fail, null

from launcher.errors import KeyringUnavailable

__all__ = ["OS_STORES", "backend_name", "default_backend", "no_keyring_message", "os_store", "refuse_unsafe"]

log = logging.getLogger(__name__)

_detect_lock = threading.Lock()


def default_backend() -> keyring.backend.KeyringBackend:
    """The backend keyring itself would choose, found more cheaply where that is safe.

    `keyring.get_keyring()` loads every backend registered through entry points (Windows, macOS,
    KWallet, libsecret, SecretService, chainer and any plugin: their modules and libraries stay in
    memory) to pick the best one. On Linux with nothing configured that is the Secret Service whenever
    its daemon answers on D-Bus (priority 5, above KWallet's 4.9 and libsecret's 4.8; where KWallet
    answers too keyring would chain both, and this store only ever wrote to the first), so construct it
    directly and hand it to keyring (`set_keyring`: later calls and keyring's own API get the same one).
    PYTHON_KEYRING_BACKEND, a keyringrc.cfg, a backend set earlier, other systems, or a Secret Service
    that does not answer all take keyring's own way, with its full choice. The caller still refuses
    every backend that is not an operating system's own store (`refuse_unsafe`)."""
    with _detect_lock:
        if getattr(keyring.core, "_keyring_backend", None) is None and _secret_service_is_default():
            from keyring.backends import SecretService

            try:
                SecretService.Keyring.priority  # noqa: B018 (viability: raises when the daemon is not there)
            except Exception as exc:  # RuntimeError from keyring, or D-Bus errors
                log.debug("no Secret Service (%s); letting keyring choose", exc)
            else:
                keyring.set_keyring(SecretService.Keyring())
        return keyring.get_keyring()


def _secret_service_is_default() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("PYTHON_KEYRING_BACKEND"):
        return False
    from keyring.util import platform_

    return not (platform_.config_root() / "keyringrc.cfg").exists()


#: The operating systems' own secret stores, by the module and class name of their keyring backend: the
#: only backends the launcher keeps secrets in (an allowlist; anything else is refused, see ``os_store``).
OS_STORES: dict[str, str] = {
    "keyring.backends.SecretService.Keyring": "the Secret Service",
    "keyring.backends.libsecret.Keyring": "the Secret Service (libsecret)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.macOS.Keyring": "the macOS Keychain",
}


def backend_name(backend: keyring.backend.KeyringBackend) -> str:
    """The backend's module and class name, as OS_STORES lists them."""
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def os_store(backend: keyring.backend.KeyringBackend) -> bool:
    """Whether ``backend`` keeps secrets in an operating system's own store: exactly one of ``OS_STORES``
    (not a subclass: a third-party backend deriving from one is still third-party code), or keyring's
    chainer when every backend it chains is one (a chainer writes to the first that takes the value, so a
    single file backend among them could end up holding the password)."""
    if isinstance(backend, chainer.ChainerBackend) and type(backend) is chainer.ChainerBackend:
        chained = list(backend.backends)
        return bool(chained) and all(os_store(b) for b in chained)
    return backend_name(backend) in OS_STORES


def refuse_unsafe(backend: keyring.backend.KeyringBackend) -> None:
    """Raise KeyringUnavailable, with one sentence naming the fix, unless `backend` is an OS store."""
    if not os_store(backend):
        raise KeyringUnavailable(_refusal_message(backend))


def _refusal_message(backend: keyring.backend.KeyringBackend) -> str:
    name = backend_name(backend)
    empty_chainer = isinstance(backend, chainer.ChainerBackend) and not list(backend.backends)
    if isinstance(backend, fail.Keyring | null.Keyring) or empty_chainer:
        return no_keyring_message(name)  # no keyring at all
    return (
        f"No usable system keyring was found (found only {name}, which is not one of the operating "
        "system's own stores: the Secret Service, KWallet, Windows Credential Manager or the macOS "
        "Keychain), so nothing can be remembered; ask IT to remove that keyring backend or its "
        "configuration (PYTHON_KEYRING_BACKEND, keyringrc.cfg)."
    )


def no_keyring_message(backend: str | None = None) -> str:
    """The sentence for "no keyring at all" (optionally naming the useless backend that was found)."""
    found = f" (found only {backend}, which would not keep secrets safe)" if backend else ""
    return (
        f"No usable system keyring was found{found}, so nothing can be remembered; on Linux start a "
        "Secret Service such as GNOME Keyring or KWallet, or ask IT."
    )
