"""Benchmarks: each module prints figures (`.venv/bin/python -m bench.<name>`); none of them asserts."""
