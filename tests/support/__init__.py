"""Shared test infrastructure: the private desktop session and the Qt WebEngine page driver."""
