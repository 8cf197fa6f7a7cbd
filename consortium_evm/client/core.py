"""The client's entry point: :class:`ConsortiumClient`, connected by network name or by web3.

Everything a member back-end does goes through one client::

    client = ConsortiumClient.connect("consortium", account="ops")   # networks.yaml + deployments/
    for member in client.members.list():
        print(member.id, member.name, member.weight)

A client made without an account reads; every write (a vote, a proposal, an account of one's own)
needs one and raises :class:`~consortium_evm.errors.AccountRequiredError` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from eth_abi.exceptions import DecodingError
from eth_account.signers.local import LocalAccount
from eth_utils.abi import get_abi_output_types
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from consortium_evm.chain.accounts import PasswordPrompt
from consortium_evm.client.access import Access
from consortium_evm.client.actions import Actions
from consortium_evm.client.events import Events
from consortium_evm.client.members import Members
from consortium_evm.client.models import Settings, Status, Totals
from consortium_evm.client.proposals import Proposals
from consortium_evm.compiler import DEFAULT_EVM_VERSION, load_artifact
from consortium_evm.deploy.journal import genesis_changed
from consortium_evm.deploy.manifest import DEFAULT_DEPLOYMENTS_DIR, Manifest, genesis_hash, manifest_path, read_manifest
from consortium_evm.domain.revert import decode_revert, error_table, is_revert, revert_data
from consortium_evm.domain.signatures import TypedDataSigner, TypedSigner
from consortium_evm.domain.spec import NodeMatch, parse_address
from consortium_evm.errors import AccountRequiredError, ConfigError, DeploymentError, RPCError
from consortium_evm.tx.signer import Sender
from consortium_evm.tx.transactions import Fees, Transactor

if TYPE_CHECKING:
    from consortium_evm.chain.connect import Connection

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ERROR_ABIS = ("PermissionRules", "NoticeBoard")
"""Shipped contracts a proposal may call, besides the suite: their custom errors are decoded too."""


class ConsortiumClient:
    """A connection to one deployed consortium, optionally with a signing account.

    Its parts: :attr:`members`, :attr:`proposals`, :attr:`actions` (typed proposal actions),
    :attr:`access` (the chain's permission answers) and :attr:`events` (history and ``watch``).
    Reads are ``eth_call`` at the latest block; writes are simulated first, then sent through one
    :class:`~consortium_evm.tx.transactions.Transactor` (thread-safe nonces, fees by the network's
    policy, confirmations, retries of the same signed bytes).
    """

    def __init__(
        self,
        w3: Web3,
        consortium: str,
        ingress: str | None = None,
        *,
        account: Sender | None = None,
        transactor: Transactor | None = None,
        from_block: int = 0,
        network_name: str | None = None,
        fees: Fees | None = None,
        confirmations: int = 1,
        evm_version: str = DEFAULT_EVM_VERSION,
        log_chunk: int = 5_000,
        validator_set: str | None = None,
    ) -> None:
        self.w3 = w3
        self.network_name = network_name
        self.from_block = int(from_block)
        self.log_chunk = int(log_chunk)
        self.evm_version = evm_version
        self.fees = fees
        self.confirmations = max(1, int(confirmations))
        self.consortium: Contract = w3.eth.contract(
            address=parse_address(consortium, "Consortium address"), abi=load_artifact("Consortium", evm_version).abi
        )
        self.ingress: Contract | None = (
            w3.eth.contract(address=parse_address(ingress, "PermissionIngress address"), abi=load_artifact("PermissionIngress", evm_version).abi)
            if ingress
            else None
        )
        self.validator_set: Contract | None = (
            w3.eth.contract(address=parse_address(validator_set, "ValidatorSet address"), abi=load_artifact("ValidatorSet", evm_version).abi)
            if validator_set
            else None
        )
        self.abis: list[list[dict[str, Any]]] = [
            cast(Any, c.abi) for c in (self.consortium, self.ingress, self.validator_set) if c is not None
        ]
        self.abis.extend(load_artifact(name, evm_version).abi for name in ERROR_ABIS)
        self.errors = error_table(self.abis)
        if transactor is None and account is not None:
            transactor = Transactor(w3, account, self.abis, fees=fees, confirmations=self.confirmations)
        elif transactor is not None:
            for abi in self.abis:
                transactor.add_abi(abi)
        self.transactor = transactor
        self._chain_id: int | None = None
        self._reader: str | None = None
        self.members = Members(self)
        self.proposals = Proposals(self)
        self.actions = Actions(self)
        self.access = Access(self)
        self.events = Events(self)

    # -- making one ------------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        network: str,
        *,
        account: str | int | None = None,
        networks_file: str | Path | None = None,
        deployments_dir: str | Path = DEFAULT_DEPLOYMENTS_DIR,
        environ: Mapping[str, str] | None = None,
        prompt: PasswordPrompt | None = None,
    ) -> ConsortiumClient:
        """Connect to ``network`` of ``networks.yaml`` and its deployment ``deployments/<network>.json``.

        ``account`` is a named account of the network (keystore or environment key); without one
        the client only reads. The node's chain id is checked against the file before anything else.
        """
        from consortium_evm.chain.connect import connect
        from consortium_evm.config.networks import load_network

        # The network first: an unknown name is said to be unknown (with the known ones), not
        # to lack a deployment.
        config = load_network(network, networks_file, environ=environ)
        manifest = read_manifest(manifest_path(deployments_dir, network), network)
        connection = connect(config, environ=environ, prompt=prompt)
        return cls.for_deployment(connection, manifest, account=account)

    @classmethod
    def for_deployment(
        cls, connection: Connection, manifest: Manifest | Mapping[str, Any], *, account: str | int | None = None,
    ) -> ConsortiumClient:
        """A client for the deployment ``manifest`` (as :func:`read_manifest` gives it, or its JSON
        data) on a connected network, with the network's fees and confirmations; the manifest must be
        of this chain and its contracts must have code on it."""
        network = connection.name
        if not isinstance(manifest, Manifest):
            manifest = Manifest.from_json(manifest, f"the deployment manifest of {network}", network)
        if manifest.chain_id is not None and manifest.chain_id != connection.chain_id:
            raise ConfigError(
                f"the deployment manifest of {network} is for chain id {manifest.chain_id}, but the network's "
                f"chain id is {connection.chain_id}"
            )
        recorded = manifest.genesis_hash
        if recorded is not None:
            current = genesis_hash(connection.w3)
            if genesis_changed(recorded, current):
                raise DeploymentError(
                    f"the deployment manifest of {network} is from another chain: same chain id {connection.chain_id}, "
                    f"but its block 0 was {recorded} and the node's is {current} (the network was reset or "
                    f"replaced); deploy again (`consortium-evm deploy --network {network} --fresh ...`) or use "
                    "the right manifest"
                )
        addresses = {name: record.address for name, record in manifest.contracts.items()}
        for name, address in addresses.items():
            try:
                code = bytes(connection.w3.eth.get_code(Web3.to_checksum_address(address)))
            except Exception as exc:  # noqa: BLE001 - each client raises its own types
                raise RPCError(f"the node failed eth_getCode for {name} at {address}: {exc}") from exc
            if not code:
                raise DeploymentError(
                    f"the deployment manifest of {network} names {name} at {address}, but there is no contract "
                    f"code there on the chain of network {network}: the manifest is from another chain or an "
                    "older deployment; deploy again or use the right manifest"
                )
        transactor = connection.transactor(account) if account is not None else None
        return cls(
            connection.w3,
            addresses["Consortium"],
            addresses.get("PermissionIngress"),
            transactor=transactor,
            from_block=manifest.contracts["Consortium"].block_number,
            network_name=network,
            fees=connection.fees,
            confirmations=connection.confirmations,
            evm_version=connection.network.evm_version,
            validator_set=addresses.get("ValidatorSet"),
        )

    @classmethod
    def from_web3(
        cls,
        w3: Web3,
        consortium: str,
        ingress: str | None = None,
        *,
        account: Sender | None = None,
        from_block: int = 0,
        fees: Fees | None = None,
        confirmations: int = 1,
        log_chunk: int = 5_000,
        validator_set: str | None = None,
    ) -> ConsortiumClient:
        """A client on an existing Web3, for the contracts at these addresses. ``account`` is a
        local signing account or an address the node unlocks; ``from_block`` is where event
        history starts (the Consortium's deployment block); ``log_chunk`` the block range of each
        ``eth_getLogs`` (lower it for nodes that limit ranges); ``validator_set`` the ValidatorSet
        the members govern, if the consortium has one."""
        return cls(w3, consortium, ingress, account=account, from_block=from_block, fees=fees,
                   confirmations=confirmations, log_chunk=log_chunk, validator_set=validator_set)

    def with_account(self, account: Sender) -> ConsortiumClient:
        """The same client, sending from ``account`` (its own nonces; same fees, confirmations,
        timeout and retries; a read-only client's ``fees`` and ``confirmations`` apply)."""
        base = self.transactor
        transactor = Transactor(
            self.w3,
            account,
            self.abis,
            fees=base.fees if base else self.fees,
            confirmations=base.confirmations if base else self.confirmations,
            timeout=base.timeout if base else 120.0,
            retries=base.retries if base else 4,
            poll_interval=base.poll_interval if base else 0.1,
        )
        return ConsortiumClient(
            self.w3,
            self.consortium.address,
            self.ingress.address if self.ingress else None,
            transactor=transactor,
            from_block=self.from_block,
            network_name=self.network_name,
            fees=self.fees,
            confirmations=self.confirmations,
            evm_version=self.evm_version,
            log_chunk=self.log_chunk,
            validator_set=self.validator_set.address if self.validator_set else None,
        )

    def add_abi(self, abi: list[dict[str, Any]]) -> None:
        """Also decode the custom errors of ``abi`` (a contract of yours that proposals call), in
        reads and in transactions."""
        self.abis.append(abi)
        self.errors.update(error_table([abi]))
        if self.transactor is not None:
            self.transactor.add_abi(abi)

    # -- what it is connected to -----------------------------------------------------------------

    @property
    def address(self) -> str | None:
        """The signing account's address (None for a read-only client)."""
        return self.transactor.address if self.transactor else None

    def block_number(self) -> int:
        """The latest block's number; an unreachable node is an RPCError."""
        try:
            return int(self.w3.eth.block_number)
        except Exception as exc:  # noqa: BLE001 - each provider raises its own types
            raise RPCError(f"the node failed eth_blockNumber: {exc}") from exc

    @property
    def chain_id(self) -> int:
        """The chain id (asked once)."""
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def status(self) -> Status:
        """The consortium at a glance: counters, settings, proposals, the rules in force."""
        c = self.consortium.functions
        totals = self.call(c.totals())
        rules = self.call(self.ingress.functions.rules()) if self.ingress else self.consortium.address
        return Status(
            chain_id=self.chain_id,
            block_number=self.block_number(),
            consortium=self.consortium.address,
            ingress=self.ingress.address if self.ingress else "",
            rules=Web3.to_checksum_address(rules),
            governance_started=self.call(c.bootstrapper()) == ZERO_ADDRESS,
            totals=Totals(*(int(v) for v in totals)),
            settings=self.settings(),
            proposal_count=int(self.call(c.proposalCount())),
            epoch=int(self.call(c.epoch())),
            node_match=NodeMatch(int(self.call(c.nodeMatch()))),
            validator_set=self.validator_set.address if self.validator_set else "",
            validators=self.validators() if self.validator_set else (),
        )

    def validators(self) -> tuple[str, ...]:
        """The validators the members govern (the ValidatorSet's ``getValidators()``)."""
        if self.validator_set is None:
            raise ConfigError(
                "this consortium has no ValidatorSet: list validators in the consortium file's network section "
                "to deploy one (or give the client its address)"
            )
        return tuple(Web3.to_checksum_address(a) for a in self.call(self.validator_set.functions.getValidators()))

    def settings(self, epoch: int | None = None) -> Settings:
        """The governance settings in force (or at ``epoch``)."""
        c = self.consortium.functions
        values = self.call(c.settings() if epoch is None else c.settingsAt(epoch))
        return Settings(*(int(v) for v in values))

    # -- plumbing shared by the parts --------------------------------------------------------------

    @property
    def reader(self) -> str:
        """The ``from`` of reads without an account: the zero address, as the chains' clients use
        for their permission calls. The embedded chain charges even a call for gas at its base fee,
        so there it is the chain's first funded account."""
        if self._reader is None:
            tester = getattr(self.w3.provider, "ethereum_tester", None)
            self._reader = str(self.w3.eth.accounts[0]) if tester is not None else ZERO_ADDRESS
        return self._reader

    def call(self, fn: ContractFunction, block: int | str = "latest", sender: str | None = None) -> Any:
        """``fn``'s result by ``eth_call`` (one request), decoded; a revert raises its named error.
        The call is from ``sender``, else the client's account, else :attr:`reader`."""
        raw = self.call_raw(str(fn.address), bytes.fromhex(fn._encode_transaction_data()[2:]), block, sender)
        types = get_abi_output_types(cast(Any, fn.abi))
        try:
            values = self.w3.codec.decode(types, raw)
        except DecodingError as exc:
            raise RPCError(
                f"{fn.fn_name} at {fn.address} returned {len(raw)} bytes that do not decode: is the contract deployed "
                "there on this chain?"
            ) from exc
        return values[0] if len(values) == 1 else tuple(values)

    def call_raw(self, to: str, data: bytes, block: int | str = "latest", sender: str | None = None) -> bytes:
        """The raw answer of an ``eth_call`` of ``data`` to ``to`` (one request); a revert raises its
        named error. From ``sender``, else the client's account, else :attr:`reader`."""
        tx = {"from": sender or self.address or self.reader, "to": to, "data": "0x" + data.hex()}
        try:
            return bytes(self.w3.eth.call(cast(Any, tx), cast(Any, block)))
        except Exception as exc:  # noqa: BLE001 - each client raises its own types
            raise self.failure(exc) from exc

    def failure(self, exc: Exception) -> Exception:
        """The named error for a failed read: the contract's error for a revert, else an RPCError."""
        if is_revert(exc) or "revert" in str(exc).lower():
            return decode_revert(revert_data(exc) or b"", self.errors)
        return RPCError(f"the node failed a read: {exc}")

    def require_transactor(self, what: str) -> Transactor:
        """The transactor, or an AccountRequiredError saying what needed it."""
        if self.transactor is None:
            raise AccountRequiredError(what)
        return self.transactor

    def signer(self, what: str = "signing a vote") -> TypedSigner:
        """The client's account as an EIP-712 signer (for signing votes and admin acceptances): a
        local key, or a remote signer that signs typed data (Clef, Web3Signer); ``what`` names the
        use in the error when there is none."""
        transactor = self.require_transactor(what)
        if isinstance(transactor.sender, str):
            raise AccountRequiredError(
                what, f"needs the account's private key; {transactor.sender} is an account the node unlocks", None
            )
        sender = transactor.sender
        if isinstance(sender, LocalAccount) or isinstance(sender, TypedDataSigner):
            return sender
        raise AccountRequiredError(
            what,
            f"needs EIP-712 typed-data signing; account {sender.address} signs through {type(sender).__name__}, "
            "which signs transactions only (use a local key, Clef or Web3Signer, or send the transaction itself: "
            "a vote by `proposals vote`)",
            None,
        )
