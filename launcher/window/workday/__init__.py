"""What a working day in the window needs beyond sign-in: downloads, the right-click menu, spell check,
microphone/camera/screen permissions, in-app pop-ups, and a process that survives a failing handler.

Pure decisions (names, policies, the profile's remembered choices) live in plain modules; the `qt_*`
modules bind them to Qt WebEngine and are imported only by the Qt engine (docs/desktop.md).
"""
