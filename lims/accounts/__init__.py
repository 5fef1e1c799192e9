"""Accounts: users, roles and sites, sign-in, API tokens and access control."""
