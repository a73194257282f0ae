"""walletdesk core: everything that is true on every platform.

The core imports no platform library; adapters call into it through
the use cases in :class:`core.use_cases.UseCases` and receive deliveries through
:class:`core.contract.Sender`.
"""

__version__ = "0.1.0"
