"""Helpers and fixtures the tests share; the fixture modules are pytest plugins (``tests/conftest.py``)."""
