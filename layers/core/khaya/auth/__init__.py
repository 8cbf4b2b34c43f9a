"""Identity: phone OTP, passwords, tokens and the authorizer's checks.

Submodules are imported by the functions that need them; this package imports nothing, so
the authorizer (``khaya.auth.authorizer``) stays free of pydantic and Powertools.
"""
