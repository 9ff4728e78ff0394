"""The Qt engine's bindings of the window's features (launcher/window/features/) to Qt WebEngine.

`features.QtFeatures` wires them to the page and profile: downloads, the right-click menu, the file
picker, permission prompts, in-app pop-ups, and `guard` (a failing slot never ends the process).
Imported only by the Qt engine (engines/qt.py, engines/qt_page.py).
"""
