"""The billing app's tasks, for the worker's autodiscovery: none of its own. Its kept estimate is brought up to date
by core's one task for every copy kept (`portal.core.keep`, billing.estimate.KEEPER)."""

__all__: list[str] = []
