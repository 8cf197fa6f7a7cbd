"""The test suite: ``contracts/`` (the Solidity contracts' behaviour on the embedded chain), ``unit/<package>/`` (one
folder per package folder), ``integration/`` (real nodes: geth, anvil), ``support/`` (helpers and fixtures, registered
as pytest plugins by ``tests/conftest.py``)."""
