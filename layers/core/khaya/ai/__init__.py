"""AI with Bedrock: price and timeline suggestions, conversation summaries and semantic job
search, each with a deterministic local fallback labelled ``source: "fallback"``.

May use ``khaya.market`` (jobs, bids, conversations); no other domain.
"""
