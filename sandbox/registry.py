"""Loads the per-domain modules: importing ``sandbox.api.<domain>`` registers its routes, rules and clock
effects, importing ``sandbox.seeding.<domain>`` its seed part."""

from __future__ import annotations

import importlib
import importlib.util

DOMAIN_MODULES = ("customers", "subscriptions", "options", "billing")


def _exists(module_name: str) -> bool:
    return importlib.util.find_spec(module_name) is not None


def load_domain_modules() -> list:
    """The imported ``sandbox.api.<domain>`` modules that exist, in a fixed order, each with its seed part."""
    loaded = []
    for name in DOMAIN_MODULES:
        module_name = f"sandbox.api.{name}"
        if not _exists(module_name):
            continue
        loaded.append(importlib.import_module(module_name))
        if _exists(f"sandbox.seeding.{name}"):
            importlib.import_module(f"sandbox.seeding.{name}")
    return loaded


def load_messaging():
    """The bot message and Incoming Webhook endpoints (contract/messaging.yaml) with their seed part: apart from
    the Partner API's domain modules, so their routes are not among the Partner API's."""
    module = importlib.import_module("sandbox.api.messaging")
    importlib.import_module("sandbox.seeding.messaging")
    return module
