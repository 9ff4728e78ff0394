"""Test support shipped with the app: the end-to-end driver the bundle test needs inside the frozen
program. Inert unless its environment variable is set; nothing here is reachable from a page."""
