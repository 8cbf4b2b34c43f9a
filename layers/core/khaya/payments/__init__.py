"""Payments: checkout with Paystack and Stripe, signed webhooks processed exactly once, the
escrow ledger, the platform fee, payouts, refunds and reconciliation.

Builds on ``khaya.market`` (a job's accepted bid is what is paid) and ``khaya.identity``.
"""
