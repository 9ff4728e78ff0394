"""The window's everyday features beyond sign-in, as engine-neutral rules: download names and folders
(`downloads`), microphone/camera/screen permission choices (`permissions`, `choices`), spell check
languages and dictionaries (`spellcheck`, `dictionary`), and the options the shell sets once (`options`).

Nothing here imports Qt; the Qt engine binds these rules to Qt WebEngine in
launcher/window/engines/qt_features/ (docs/desktop.md).
"""
