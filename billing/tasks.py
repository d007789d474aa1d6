"""The billing app's tasks, for the worker's autodiscovery (each declared beside the code it runs)."""

from billing.estimate import keep_estimates_task

__all__ = ["keep_estimates_task"]
