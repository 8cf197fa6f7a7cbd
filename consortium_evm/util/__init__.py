"""Helpers without a domain: atomic file writes. Imports nothing of the package."""
