"""Payments: the tenant's Stripe account, its charges, payouts and balance transactions."""
