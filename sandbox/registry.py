"""Loads the per-domain API modules; importing one registers its routes, rules, clock effects and seed parts."""

from __future__ import annotations

import importlib
import importlib.util

DOMAIN_MODULES = ("customers", "subscriptions", "options", "billing")


def load_domain_modules() -> list:
    """The imported ``sandbox.api.<domain>`` modules that exist, in a fixed order."""
    loaded = []
    for name in DOMAIN_MODULES:
        module_name = f"sandbox.api.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        loaded.append(importlib.import_module(module_name))
    return loaded
