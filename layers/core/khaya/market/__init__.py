"""The marketplace: jobs, bids, worker profiles and portfolio, conversations, notifications,
plans and the category catalogue.

Builds on ``khaya.identity`` (user records, ``USER#<id>`` partitions); its access patterns
are the docstring of ``khaya.market.keys``. Submodules are imported by the functions that
need them; this package imports nothing.
"""
