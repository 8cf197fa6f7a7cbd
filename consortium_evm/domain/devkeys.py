"""The well-known development accounts: the "test test ... junk" mnemonic's (anvil's, Hardhat's).

Account ``N`` is the key at ``m/44'/60'/0'/0/N`` of :data:`DEV_MNEMONIC`. Everyone can derive these
keys, so they are for development and tests only:

- accounts 0 to 4 are the dev accounts the local network (``consortium-evm node start``) funds, and
  ``consortium.example.yaml`` makes 1 to 3 the admins of its members (anvil funds 0 to 9);
- accounts from :data:`DEV_NODE_KEY_FIRST_INDEX` on are the node keys ``consortium-evm genesis keys
  --dev`` writes, which ``consortium.genesis.example.yaml`` names as validators and nodes;
- ``dev_account: N`` in ``networks.yaml`` is account ``N``, on whichever network funds it.
"""

from __future__ import annotations

from functools import lru_cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

from consortium_evm.errors import ConfigError

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The development mnemonic (anvil's and Hardhat's default): public knowledge, development only."""
MAX_DEV_INDEX = 2**31 - 1
"""The last account index (BIP-32 non-hardened derivation)."""
DEV_NODE_KEY_FIRST_INDEX = 10
"""The first account used as a node key by ``consortium-evm genesis keys --dev`` (0 to 9 are the
accounts anvil funds and the examples name)."""
DEV_KEYS_WARNING = (
    "warning: these are PUBLIC development keys, derived from the well-known \"test test ... junk\" "
    "mnemonic: anyone can sign with them. Use them for a local development network only, never for "
    "a network that holds anything of value."
)


@lru_cache(maxsize=None)
def dev_account(index: int) -> LocalAccount:
    """Account ``index`` of the development mnemonic; a ConfigError for an index out of range."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_DEV_INDEX:
        raise ConfigError(
            f"there is no development account {index!r}: they are numbered 0 to {MAX_DEV_INDEX} "
            "(m/44'/60'/0'/0/N of the \"test test ... junk\" mnemonic)"
        )
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


def dev_accounts(count: int, first: int = 0) -> list[LocalAccount]:
    """Accounts ``first`` to ``first + count - 1`` of the development mnemonic."""
    return [dev_account(first + i) for i in range(count)]


__all__ = [
    "DEV_KEYS_WARNING",
    "DEV_MNEMONIC",
    "DEV_NODE_KEY_FIRST_INDEX",
    "MAX_DEV_INDEX",
    "dev_account",
    "dev_accounts",
]
