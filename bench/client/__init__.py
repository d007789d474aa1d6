"""Benchmark of the Partner API client: overhead per call and rate-limiter accuracy (`python -m bench.client`)."""
