"""AI features: price and timeline suggestions, conversation summaries, semantic job search.

Bedrock answers when it can (``khaya.ai.bedrock``: forced tool use through ``converse``,
Titan Text Embeddings V2); a deterministic local method answers whenever it cannot, and
always where the configuration says ``AI_BACKEND=local`` (the local stage), labelled
``source: "fallback"`` (``khaya.ai.backend``). No AI feature ever turns into a 5xx.

Builds on ``khaya.market`` (jobs, the open-jobs index, conversations, the catalogue); its own
access patterns are the docstring of ``khaya.ai.keys``. Submodules are imported by the
functions that need them; this package imports nothing.
"""
