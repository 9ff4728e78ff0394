"""The Qt window's page: where it may go, which JavaScript world holds the bridge, and pop-ups.

pywebview builds its page from the class `BrowserView.WebPage` (webview/platforms/qt.py); `install`
swaps in `GuardedPage` before the window is created, so every hook is in place before the first URL
loads. Rocket.Chat's page is untrusted (an admin's custom script, an XSS): it must find no way to
Python. pywebview's web channel transport therefore lives in the page's main world only while one of
the launcher's own pages shows; everywhere else it sits in a world where no script runs (docs/security.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import webview.platforms.qt as _qt
import webview.util as _util
from qtpy import QtCore
from qtpy.QtWebEngineCore import QWebEnginePage, QWebEngineScript

import launcher.window.engines.qt_proxy as qt_proxy
from launcher.paths import private_dir
from launcher.window import navigation
from launcher.window.engines.base import PageHooks, replace_bridge_dispatcher

_log = logging.getLogger(__name__)

_SCRIPT_NAME = "rocketchat-launcher-cover"
_DESKTOP_SCRIPT_NAME = "rocketchat-launcher-desktop"
# The launcher's own pages get the transport in the main world (pywebview's scripts run there); every
# other page gets it in this isolated world, where no script ever runs.
_NO_SCRIPT_WORLD = 255
_MAIN_WORLD = int(QWebEngineScript.ScriptWorldId.MainWorld)
_BLANK = "about:blank"

_hooks: PageHooks | None = None  # what the window's page reports to (one window per process)
_on_created: Callable[[GuardedPage], None] | None = None
_page: GuardedPage | None = None
_features: Any = None  # qt_features.features.QtFeatures: downloads, permissions, menus, pop-ups
_FAKE_MEDIA_UI = "--use-fake-ui-for-media-stream"


def install(hooks: PageHooks, on_created: Callable[[GuardedPage], None], features: Any) -> None:
    """Make pywebview build `GuardedPage`, inject `window.pywebview` only into local pages, and let
    the bridge answer only while one shows. `on_created` receives the window's page once it exists.

    `features` (a QtFeatures) takes over what pywebview's Qt window does its own way: downloads
    (its handler calls a Qt 5 API and aborts the process), the right-click menu (none outside debug),
    and the microphone and camera (it grants them to every origin and adds Chromium's flag that
    accepts every media request without asking)."""
    global _hooks, _on_created, _page, _features
    _hooks, _on_created, _page, _features = hooks, on_created, None, features
    _qt.BrowserView.WebPage = GuardedPage
    _qt.BrowserView._set_js_api = _set_js_api_on_local_pages
    _qt.BrowserView.on_download_requested = _leave_downloads_to_the_launcher
    _qt.BrowserView.WebView.contextMenuEvent = _context_menu_event
    if not hasattr(_qt.environ_append, "__wrapped__"):
        _qt.environ_append = _without_fake_media_ui(_qt.environ_append)
    if not hasattr(_util.load_js_files, "__wrapped__"):
        guarded = _guard_pywebview_scripts(_util.load_js_files)
        guarded.__wrapped__ = _util.load_js_files  # type: ignore[attr-defined]
        _util.load_js_files = guarded
    replace_bridge_dispatcher(_only_while_the_bridge_is_open(hooks.bridge_call))


_PywebviewPage = _qt.BrowserView.WebPage


class GuardedPage(_PywebviewPage):
    """pywebview's page plus: top-level navigation policy, the cover script, and load results."""

    def __init__(self, parent: Any = None, profile: Any = None) -> None:
        # pywebview's __init__ calls super(BrowserView.WebPage, self): let that name mean its own class
        # while it runs, or the call would land back in this class.
        _qt.BrowserView.WebPage = _PywebviewPage
        try:
            super().__init__(parent, profile)
        finally:
            _qt.BrowserView.WebPage = GuardedPage
        global _page
        hooks = _hooks if _page is None else None
        self._hooks = hooks
        self._channel: Any = None  # pywebview's QWebChannel: in the main world only on a local page
        self._channel_world: int | None = None
        self._pending: Any = None  # where to go once the window shows the empty page (a QUrl)
        if hooks is None:
            return  # the web inspector's page (or a second page): plain pywebview behaviour
        self._new_windows = _features.new_windows(profile if profile is not None else self.profile())
        self.newWindowRequested.connect(lambda request: self._new_windows.handle(self, request))
        if profile is not None:
            private_dir(hooks.cache_dir)
            profile.setCachePath(str(hooks.cache_dir))
        _page = self
        if _on_created is not None:
            _on_created(self)
        if profile is not None:
            _features.attach(self, profile)
        set_document_script(self, hooks.cover_source)
        if hooks.desktop_source:
            set_document_script(self, hooks.desktop_source, _DESKTOP_SCRIPT_NAME)
        self.loadFinished.connect(self._load_finished)
        self.renderProcessTerminated.connect(self._render_process_terminated)
        self.certificateError.connect(self._certificate_error)
        qt_proxy.answer_proxy_challenges(self, hooks.proxy)

    def setWebChannel(self, channel: Any, *args: Any) -> None:
        """pywebview attaches its channel once, for every page: keep it out of the main world until a
        navigation to a local page (acceptNavigationRequest)."""
        if self._hooks is None:
            super().setWebChannel(channel, *args)
            return
        self._channel, self._channel_world = channel, None
        self._move_channel(_NO_SCRIPT_WORLD)

    def _move_channel(self, world: int) -> None:
        """Move, never remove: Qt discards its transport host on setWebChannel(None), and a page
        already being created for the next navigation then keeps a dangling `qt.webChannelTransport`
        whose first message crashes the launcher (tests/launcher/window/test_hostile_page.py)."""
        if self._channel is not None and world != self._channel_world:
            super().setWebChannel(self._channel, world)
            self._channel_world = world

    def acceptNavigationRequest(self, url: Any, nav_type: Any, is_main_frame: bool) -> bool:
        hooks = self._hooks
        if hooks is None:
            return True
        target = url.toString()
        if navigation.refuses_token_link(
            target, hooks.rc_origin, hooks.token_loads if is_main_frame else None
        ):
            # someone's token in Rocket.Chat's address would sign the window in as them (session fixation)
            _log.warning("refused a Rocket.Chat address with a sign-in token in it (not the launcher's own)")
            return False
        if not is_main_frame:
            return True  # sub-frames (Rocket.Chat's embeds) stay Rocket.Chat's business
        if target == _BLANK and self._pending is not None:
            return True  # the launcher's own step between Rocket.Chat's page and a local one
        kind = navigation.classify(target, hooks.rc_origin)
        typed = nav_type == QWebEnginePage.NavigationType.NavigationTypeTyped
        if typed or kind in ("local", "rocketchat"):
            # The bridge's transport lives in the main world of the launcher's own pages only; on every
            # other page it sits in a world where no script runs, so Rocket.Chat's page (an admin's custom
            # script, an XSS) finds no `qt.webChannelTransport` to reach Python through.
            world = _MAIN_WORLD if kind == "local" else _NO_SCRIPT_WORLD
            if world != self._channel_world and self._document_may_run_script():
                # Qt moves the transport in the document on screen and may miss the next one's frame
                # if that is already being made: cross between the two through an empty page, and move
                # the transport while nothing but that page exists (_load_finished).
                self._pending = QtCore.QUrl(url)
                QtCore.QTimer.singleShot(0, lambda: self.setUrl(QtCore.QUrl(_BLANK)))  # not inside Qt's call
                return False
            self._pending = None
            self._move_channel(world)
            hooks.token_loads.consume(target)  # the hand-off's link passes once (if it is the one)
            return True
        if kind == "external":
            if self._new_windows.budget.take():  # pop-ups and browser launches share one budget
                hooks.on_external(target)
            else:
                _log.warning("refused a link to the browser: this page opened too many at once")
        else:
            _log.info("blocked a navigation to a %s URL", url.scheme() or "scheme-less")
        return False

    def _document_may_run_script(self) -> bool:
        """False only before the first document (the window's empty start page)."""
        return self.url().toString() not in ("", _BLANK)

    def bridge_is_open(self) -> bool:
        """The bridge answers only while its transport is in the main world of a local page."""
        return self._channel_world == _MAIN_WORLD and navigation.is_local_page(self.url().toString())

    def javaScriptConsoleMessage(self, level: Any, message: str, line: int, source: str) -> None:
        """cover.js's wake-up marker: tell the shell to read the page now (the marker proves nothing by
        itself, and is not passed on to Qt's console log). Every other message goes the usual way."""
        hooks = self._hooks
        marker = hooks.wake_marker if hooks is not None and hooks.on_wake is not None else ""
        if marker and isinstance(message, str) and message.startswith(marker):
            try:
                hooks.on_wake(message[len(marker) :][:32])  # type: ignore[union-attr]
            except Exception:
                _log.exception("wake-up handler failed")
            return
        super().javaScriptConsoleMessage(level, message, line, source)

    def onFeaturePermissionRequested(self, url: Any, feature: Any) -> None:
        """pywebview grants the microphone and camera here to any origin; Qt's newer permissionRequested
        signal goes to the launcher's prompts instead (engines/qt_features/permissions.py), so this does nothing."""

    def chooseFiles(self, mode: Any, old_files: list[str], accepted_mime_types: list[str]) -> list[str]:
        """Rocket.Chat's "Upload file": the launcher's picker (several files, the last folder used)."""
        if self._hooks is None:
            return super().chooseFiles(mode, old_files, accepted_mime_types)
        return _features.choose_files(mode, list(old_files))

    def createWindow(self, window_type: Any) -> QWebEnginePage | None:
        """Pop-ups (target=_blank, window.open): None here, so Qt hands the request, with whether a
        person's gesture started it, to newWindowRequested (engines/qt_features/popups.NewWindows): Rocket.Chat's
        own and configured video calls open in an in-app window, other sites in the system browser,
        and nothing opens without a gesture."""
        if self._hooks is None:
            return super().createWindow(window_type)
        return None

    def _load_finished(self, ok: bool) -> None:
        pending = self._pending
        if pending is not None and self.url().toString() == _BLANK:
            self._pending = None  # nothing but the launcher's own scripts runs in the empty page
            local = navigation.is_local_page(pending.toString())
            self._move_channel(_MAIN_WORLD if local else _NO_SCRIPT_WORLD)
            self.setUrl(pending)
            return
        if self._hooks is not None:
            self._hooks.on_load_finished(self.url().toString(), bool(ok))

    def _certificate_error(self, error: Any) -> None:
        """The engine doubts a server's certificate: the launcher's own trust decides (page_trust.py);
        Chromium's default would refuse a company CA that the sign-in trusts."""
        hooks = self._hooks
        accept = False
        try:
            chain = [bytes(certificate.toDer()) for certificate in error.certificateChain()]
            authority = error.type() == type(error).Type.CertificateAuthorityInvalid
            accept = bool(
                hooks is not None
                and error.isOverridable()
                and hooks.certificate_error(error.url().toString(), chain, authority, error.description())
            )
        except Exception:
            _log.exception("could not check a server certificate; refusing it")
        if accept:
            error.acceptCertificate()
        else:
            error.rejectCertificate()

    def _render_process_terminated(self, status: Any, exit_code: int) -> None:
        if self._hooks is not None:
            _log.warning("the web page process ended (status %s, code %s)", status, exit_code)
            self._hooks.on_load_finished(self.url().toString(), False)


def set_document_script(page: QWebEnginePage, source: str, name: str = _SCRIPT_NAME) -> None:
    scripts = page.scripts()
    for old in scripts.find(name):
        scripts.remove(old)
    script = QWebEngineScript()
    script.setName(name)
    script.setSourceCode(source)
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    scripts.insert(script)


_pywebview_set_js_api = _qt.BrowserView._set_js_api


def _set_js_api_on_local_pages(view: Any) -> None:
    """pywebview injects `window.pywebview` after every load; only the launcher's own pages get it.

    Elsewhere the load is only announced (pywebview's `loaded` event), so pywebview's waits go on."""
    if navigation.is_local_page(view.webview.page().url().toString()):
        _pywebview_set_js_api(view)
        return
    window = view.js_bridge.window
    window.events.before_load.set()
    window.events.loaded.set()


def _guard_pywebview_scripts(load_js_files: Callable[..., tuple[str, str]]) -> Callable[..., tuple[str, str]]:
    """pywebview writes `window.pywebview` from a thread, after the load that asked for it: by then the
    window may show Rocket.Chat's page. Each of its scripts therefore first checks it still runs in a
    local page, and does nothing anywhere else."""
    base = json.dumps(navigation.assets_base_url())

    def guarded(*args: Any, **kwargs: Any) -> tuple[str, str]:
        code, finish = load_js_files(*args, **kwargs)
        local = f"String(location.href).indexOf({base}) === 0"
        # The finish script runs separately, maybe in the next document: it needs the object the first
        # one made there. It is %-formatted later, so its guard's own % signs are escaped.
        finish_test = f"if ({local} && window.pywebview) {{\n".replace("%", "%%")
        return f"if ({local}) {{\n" + code + "\n}", finish_test + finish + "\n}"

    return guarded


def _only_while_the_bridge_is_open(call: Callable[[Any, str, Any, str], None]) -> Callable[..., None]:
    """The bridge's calls, only while a local page holds the transport (on the Qt thread, as every
    web channel message): a second lock behind the transport's world, for a message already in flight."""

    def dispatch(window: Any, name: Any, params: Any, call_id: Any) -> None:
        page = _page
        if page is None or not page.bridge_is_open():
            _log.warning("refused a bridge call while no local page is shown")
            return
        call(window, name, params, call_id)

    return dispatch


def _leave_downloads_to_the_launcher(view: Any, download: Any) -> None:
    """pywebview's download slot, replaced: the launcher's own handler (engines/qt_features/downloads.py) is
    connected to the same profile signal and decides alone."""
    return None


def _context_menu_event(view: Any, event: Any) -> None:
    features = _features
    if features is not None:
        features.context_menu(view, event)


def _without_fake_media_ui(environ_append: Callable[..., None]) -> Callable[..., None]:
    def append(name: str, *values: str, **kwargs: Any) -> None:
        kept = [v for v in values if v != _FAKE_MEDIA_UI]
        if kept:
            environ_append(name, *kept, **kwargs)

    append.__wrapped__ = environ_append  # type: ignore[attr-defined]
    return append
