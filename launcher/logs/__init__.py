"""The launcher's logs: the rotating file and the console (`setup`), and the masking of every secret the
launcher learned before a line is written (`redaction`).

Imports nothing itself: the sign-in modules register their secrets with `redaction` without loading
the log set-up."""
