"""The embedded chain: eth-tester with the py-evm backend, in this process, no node needed.

Its accounts are unlocked and funded. Time moves only when asked (:func:`advance_time`), which is
what governance tests need.
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from consortium_evm.errors import ConfigError

TESTER_CHAIN_ID = 131277322940537
"""eth-tester's chain id."""


_VM_NAMES = {
    "homestead": "HomesteadVM",
    "tangerineWhistle": "TangerineWhistleVM",
    "spuriousDragon": "SpuriousDragonVM",
    "byzantium": "ByzantiumVM",
    "constantinople": "ConstantinopleVM",
    "petersburg": "PetersburgVM",
    "istanbul": "IstanbulVM",
    "berlin": "BerlinVM",
    "london": "LondonVM",
    "paris": "ParisVM",
    "shanghai": "ShanghaiVM",
    "cancun": "CancunVM",
    "prague": "PragueVM",
}
"""py-evm's machine for each EVM version solc knows."""


def tester_web3(accounts: int = 10, evm_version: str | None = None) -> Web3:
    """A Web3 connected to a fresh embedded chain with ``accounts`` funded, unlocked accounts,
    running ``evm_version``'s rules from block 0 (default: py-evm's newest)."""
    try:
        import eth.vm.forks
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(
            "the embedded chain needs eth-tester with py-evm: pip install 'consortium-evm[tester]'"
        ) from exc
    vm_configuration = None
    if evm_version is not None:
        if evm_version not in _VM_NAMES:
            raise ConfigError(f"the embedded chain does not run EVM {evm_version!r}; it runs {', '.join(_VM_NAMES)}")
        vm_configuration = ((0, getattr(eth.vm.forks, _VM_NAMES[evm_version])),)
    genesis = PyEVMBackend.generate_genesis_params(overrides={"gas_limit": 30_000_000})
    backend = PyEVMBackend(
        genesis_parameters=genesis,
        genesis_state=PyEVMBackend.generate_genesis_state(num_accounts=accounts),
        vm_configuration=vm_configuration,
    )
    return Web3(EthereumTesterProvider(EthereumTester(backend)))


def _tester(w3: Web3) -> Any:
    tester = getattr(w3.provider, "ethereum_tester", None)
    if tester is None:
        raise ConfigError("this is not the embedded chain: time can only be moved on eth-tester")
    return tester


def advance_time(w3: Web3, seconds: int) -> int:
    """Mine a block exactly ``seconds`` (at least 1) after the latest one; returns its timestamp.

    eth-tester's ``time_travel(t)`` mines a block at ``t - 1`` and makes ``t`` the pending block's
    time, so the travel goes one second further than the block wanted."""
    tester = _tester(w3)
    target = int(w3.eth.get_block("latest")["timestamp"]) + max(1, int(seconds))
    tester.time_travel(target + 1)
    return int(w3.eth.get_block("latest")["timestamp"])


def snapshot(w3: Web3) -> int:
    """Take a snapshot of the embedded chain (see :func:`revert_to`)."""
    return int(_tester(w3).take_snapshot())


def revert_to(w3: Web3, snapshot_id: int) -> None:
    """Go back to a snapshot taken by :func:`snapshot`."""
    _tester(w3).revert_to_snapshot(snapshot_id)


def tester_accounts(count: int = 10) -> list[LocalAccount]:
    """Signing accounts for the embedded chain's funded accounts (the first ``count``), for code
    that signs locally as it would on a real network."""
    from eth_account import Account
    from eth_tester.backends.pyevm.main import get_default_account_keys

    return [Account.from_key(key.to_bytes()) for key in get_default_account_keys(quantity=count)]


# Not tests, whatever pytest thinks of their names when a test module imports them.
tester_web3.__test__ = False  # type: ignore[attr-defined]
tester_accounts.__test__ = False  # type: ignore[attr-defined]
