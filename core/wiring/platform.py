"""The adapter contract moved to :mod:`core.contract`; these names stay importable."""

from __future__ import annotations

from core.contract import (GROUP, Adapter, AdapterFactory, AdapterSpec, LazyAdapterFactory, Sender, adapter_hooks,
                           discover_adapters, load_adapter, missing_library)

__all__ = ["GROUP", "Adapter", "AdapterFactory", "AdapterSpec", "LazyAdapterFactory", "Sender", "adapter_hooks",
           "discover_adapters", "load_adapter", "missing_library"]
