"""Accounts of the SOP's people: models, password hashing, API tokens, the SQLite store, logins."""
