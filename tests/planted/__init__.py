"""A minimal domain app planted by tests/core/test_planted_app.py: what a new app writes, and nothing else."""
