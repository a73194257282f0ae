"""Console adapter: a support chat in the terminal on the embedded defaults.

``ConsoleAdapter`` here is the adapter's spec (the installed entry point names
``adapters.console:ConsoleAdapter``); calling it builds the adapter
(:class:`adapters.console.adapter.ConsoleAdapter`) without this package importing
the core's use cases while the core reads its contract."""

from adapters.console.entry import factory as ConsoleAdapter

__all__ = ["ConsoleAdapter"]
