"""Platform adapters. Each imports only ``core`` and its own platform library."""
