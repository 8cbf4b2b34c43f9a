"""Khaya's shared Lambda layer: config, errors, HTTP plumbing, DynamoDB toolkit and services.

Modules are imported lazily by the functions that need them; nothing here does I/O at import.
Importing the package puts ``khaya.lean_imports`` in place first, so Powertools' package
indexes never load resolvers and utilities a route does not use.
"""

from khaya import lean_imports

lean_imports.install()

__version__ = "0.1.0"
