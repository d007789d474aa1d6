"""Benchmarks: each sub-package is run with `python -m bench.<name>` and prints its figures. Never tests."""
