"""The consortium's own values, shared by every layer above: the deployment spec (members, roles,
nodes, settings, addresses, enodes), EIP-712 signatures, the development keys, and revert data
decoded into the contracts' errors. Imports nothing of the package but ``errors`` and
``contract_errors``; web3 is not needed (eth-utils, eth-account and eth-abi are)."""
