"""Identity: accounts, phone one-time codes, passwords, tokens, the authorizer's checks, and
the signed-in user's profile, export and erasure.

The other domains build on it (a user's items live in ``USER#<id>``, see
``khaya.identity.keys``). Submodules are imported by the functions that need them; this
package imports nothing, so the authorizer (``khaya.identity.authorizer``) stays free of
pydantic and Powertools.
"""
