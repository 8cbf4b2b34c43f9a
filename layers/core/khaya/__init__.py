"""Khaya's shared Lambda layer: config, errors, HTTP plumbing, DynamoDB toolkit and services.

Modules are imported lazily by the functions that need them; nothing here does I/O at import.
"""

__version__ = "0.1.0"
