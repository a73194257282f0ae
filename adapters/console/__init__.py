"""Console adapter: a support chat in the terminal on the embedded defaults."""

from adapters.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]
