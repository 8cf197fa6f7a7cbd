"""Validators governed on-chain: drive a member's own node toward the ``ValidatorSet``.

On Clique, IBFT 2.0 and QBFT in header mode, the validators are voted in block headers: each
validator's node proposes adding or removing an address, and the change happens once more than
half of the validators proposed it. The members decide the set by a passed proposal that changes
the ``ValidatorSet`` contract; :func:`sync_validators` then makes the node's proposals match it:

- an address in the contract but not in the node's set: propose adding it (unless already proposed);
- an address in the node's set but not in the contract: propose removing it (likewise);
- a proposal the node still holds for a change that is done, or that the contract no longer asks
  for: discard it.

Run again, it proposes nothing more: the call is idempotent. :func:`wait_in_sync` then waits until
nodes report the on-chain set (the change needs the votes of more than half of the validators'
nodes). The client methods:

=========  ============================  ===================  ============================  ==========================
consensus  validators at the head        pending proposals    propose (address, add?)       discard (address)
=========  ============================  ===================  ============================  ==========================
clique     clique_getSigners             clique_proposals     clique_propose                clique_discard
ibft2      ibft_getValidatorsByBlock...  ibft_getPendingVotes ibft_proposeValidatorVote     ibft_discardValidatorVote
qbft       qbft_getValidatorsByBlock...  qbft_getPendingVotes qbft_proposeValidatorVote     qbft_discardValidatorVote
=========  ============================  ===================  ============================  ==========================

(geth 1.13 for Clique; Besu's documented JSON-RPC API for IBFT 2.0 and QBFT.) A QBFT network in
contract mode reads the ValidatorSet itself: there is nothing to sync, and its client refuses votes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from eth_utils.address import to_checksum_address
from web3 import Web3

from consortium_evm.compiler import load_artifact
from consortium_evm.domain.spec import parse_address
from consortium_evm.errors import ConfigError, RPCError, WaitTimeoutError
from consortium_evm.node.errors import NodeError
from consortium_evm.node.rpc import rpc_call

VoteConsensus = Literal["clique", "ibft2", "qbft"]
VOTE_CONSENSUS: tuple[VoteConsensus, ...] = ("clique", "ibft2", "qbft")


@dataclass(frozen=True)
class VoteMethods:
    """The JSON-RPC methods of one client family's validator votes."""

    validators: str
    validators_params: tuple[Any, ...]
    pending: str
    propose: str
    discard: str


METHODS: dict[VoteConsensus, VoteMethods] = {
    "clique": VoteMethods("clique_getSigners", (), "clique_proposals", "clique_propose", "clique_discard"),
    "ibft2": VoteMethods(
        "ibft_getValidatorsByBlockNumber", ("latest",), "ibft_getPendingVotes",
        "ibft_proposeValidatorVote", "ibft_discardValidatorVote",
    ),
    "qbft": VoteMethods(
        "qbft_getValidatorsByBlockNumber", ("latest",), "qbft_getPendingVotes",
        "qbft_proposeValidatorVote", "qbft_discardValidatorVote",
    ),
}


ISTANBUL = VoteMethods("istanbul_getValidators", (), "istanbul_candidates", "istanbul_propose", "istanbul_discard")
"""GoQuorum's validator votes for IBFT and QBFT (it has no ``qbft_*`` or ``ibft_*`` methods):
``istanbul_getValidators``, ``istanbul_candidates`` (the pending proposals, address -> add),
``istanbul_propose(address, add)``, ``istanbul_discard(address)``."""

NODE_CLIENTS = ("besu", "goquorum", "geth")
"""The clients a network's ``client:`` may name (it picks the vote methods of IBFT/QBFT networks)."""


def vote_methods(consensus: str, client: str | None = None) -> VoteMethods:
    """The vote methods of a ``consensus`` network run by ``client`` (default: Besu's for IBFT 2.0
    and QBFT, geth's for Clique)."""
    kind = _checked_consensus(consensus)
    if client == "goquorum" and kind in ("ibft2", "qbft"):
        return ISTANBUL
    return METHODS[kind]


@dataclass(frozen=True)
class Vote:
    """A proposal to add (``add=True``) or remove a validator."""

    address: str
    add: bool

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "add": self.add}


@dataclass(frozen=True)
class SyncPlan:
    """What a node must do to follow the contract: proposals to make and proposals to discard."""

    votes: tuple[Vote, ...] = ()
    discards: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.votes and not self.discards


@dataclass(frozen=True)
class NodeValidators:
    """A node's view: the validators at its head and the proposals it holds (address -> add?)."""

    validators: tuple[str, ...]
    pending: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidatorListing:
    """The on-chain set next to the node's."""

    consensus: VoteConsensus
    rpc_url: str
    validator_set: str
    on_chain: tuple[str, ...]
    node: NodeValidators

    @property
    def in_sync(self) -> bool:
        return {a.lower() for a in self.on_chain} == {a.lower() for a in self.node.validators}

    def to_json(self) -> dict[str, Any]:
        return {
            "consensus": self.consensus,
            "rpcUrl": self.rpc_url,
            "validatorSet": self.validator_set,
            "onChain": list(self.on_chain),
            "node": list(self.node.validators),
            "pending": dict(self.node.pending),
            "inSync": self.in_sync,
        }


@dataclass(frozen=True)
class SyncResult:
    """What :func:`sync_validators` found and did."""

    listing: ValidatorListing
    plan: SyncPlan
    pending_after: dict[str, bool]
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            **self.listing.to_json(),
            "voted": [v.to_json() for v in self.plan.votes] if not self.dry_run else [],
            "discarded": list(self.plan.discards) if not self.dry_run else [],
            "planned": {"votes": [v.to_json() for v in self.plan.votes], "discards": list(self.plan.discards)},
            "pendingAfter": dict(self.pending_after),
            "dryRun": self.dry_run,
        }


Rpc = Callable[[str, str, Sequence[Any]], Any]
"""``rpc(url, method, params)`` -> result; raises :class:`NodeError` on a failure."""


def _rpc(url: str, method: str, params: Sequence[Any]) -> Any:
    return rpc_call(url, method, params, timeout=15.0)


def _checksum_all(addresses: Any, what: str) -> tuple[str, ...]:
    if not isinstance(addresses, list):
        raise RPCError(f"{what}: expected a list of addresses, got {addresses!r}")
    try:
        return tuple(to_checksum_address(str(a)) for a in addresses)
    except ValueError:
        raise RPCError(f"{what}: not a list of addresses: {addresses!r}") from None


def _pending(answer: Any, what: str) -> dict[str, bool]:
    if answer is None:
        return {}
    if not isinstance(answer, Mapping) or not all(isinstance(v, bool) for v in answer.values()):
        raise RPCError(f"{what}: expected a mapping of address to true/false, got {answer!r}")
    try:
        return {to_checksum_address(str(k)): bool(v) for k, v in answer.items()}
    except ValueError:
        raise RPCError(f"{what}: not a mapping of addresses: {answer!r}") from None


def _checked_consensus(consensus: str) -> VoteConsensus:
    for known in VOTE_CONSENSUS:
        if consensus == known:
            return known
    raise ConfigError(
        f"consensus {consensus!r} has no validator votes: validators sync works on "
        f"{', '.join(VOTE_CONSENSUS)} networks"
    )


def node_validators(rpc_url: str, consensus: str, rpc: Rpc = _rpc, client: str | None = None) -> NodeValidators:
    """The node's validators at its head and its pending proposals."""
    methods = vote_methods(consensus, client)
    try:
        current = rpc(rpc_url, methods.validators, list(methods.validators_params))
        pending = rpc(rpc_url, methods.pending, [])
    except NodeError as exc:
        raise RPCError(f"the node does not answer its {consensus} validator methods: {exc}") from None
    return NodeValidators(
        _checksum_all(current, f"{rpc_url} {methods.validators}"), _pending(pending, f"{rpc_url} {methods.pending}")
    )


def onchain_validators(w3: Web3, validator_set: str) -> tuple[str, ...]:
    """``getValidators()`` of the ValidatorSet at ``validator_set`` (latest block)."""
    address = parse_address(validator_set, "ValidatorSet address")
    if not w3.eth.get_code(address):
        raise ConfigError(f"no contract at {address}: is it the network's ValidatorSet (deployments/<network>.json)?")
    contract = w3.eth.contract(address=address, abi=load_artifact("ValidatorSet").abi)
    try:
        return tuple(to_checksum_address(a) for a in contract.functions.getValidators().call())
    except Exception as exc:  # noqa: BLE001 - each client raises its own types
        raise RPCError(f"getValidators() on {address} failed: {exc}") from exc


def plan_sync(on_chain: Sequence[str], node: NodeValidators) -> SyncPlan:
    """The proposals and discards that move ``node`` toward ``on_chain`` (a pure function)."""
    target = {a.lower(): a for a in on_chain}
    current = {a.lower() for a in node.validators}
    pending = {a.lower(): (a, add) for a, add in node.pending.items()}
    votes: list[Vote] = []
    for key, address in target.items():
        if key not in current and pending.get(key, ("", False))[1] is not True:
            votes.append(Vote(to_checksum_address(address), True))
    for address in node.validators:
        key = address.lower()
        if key not in target and (key not in pending or pending[key][1] is not False):
            votes.append(Vote(to_checksum_address(address), False))
    discards = []
    for key, (address, add) in pending.items():
        wanted = key in target
        done = (key in current) == add
        if done or add != wanted:
            # a change already made, or one the contract no longer asks for (a vote the other way
            # replaces it above, and the client keeps only the latest proposal per address)
            if not any(v.address.lower() == key for v in votes):
                discards.append(to_checksum_address(address))
    return SyncPlan(tuple(votes), tuple(discards))


def list_validators(
    w3: Web3, rpc_url: str, consensus: str, validator_set: str, rpc: Rpc = _rpc, client: str | None = None
) -> ValidatorListing:
    """The on-chain set (``ValidatorSet.getValidators()``) next to the node's."""
    kind = _checked_consensus(consensus)
    return ValidatorListing(
        consensus=kind,
        rpc_url=rpc_url,
        validator_set=parse_address(validator_set, "ValidatorSet address"),
        on_chain=onchain_validators(w3, validator_set),
        node=node_validators(rpc_url, kind, rpc, client),
    )


def sync_validators(
    w3: Web3,
    rpc_url: str,
    consensus: str,
    validator_set: str,
    *,
    dry_run: bool = False,
    rpc: Rpc = _rpc,
    client: str | None = None,
) -> SyncResult:
    """Make the node at ``rpc_url`` propose what the ValidatorSet asks for (see the module's
    docstring); with ``dry_run`` only say what it would do."""
    listing = list_validators(w3, rpc_url, consensus, validator_set, rpc, client)
    plan = plan_sync(listing.on_chain, listing.node)
    if dry_run or plan.empty:
        return SyncResult(listing, plan, dict(listing.node.pending), dry_run)
    methods = vote_methods(listing.consensus, client)
    try:
        for address in plan.discards:
            rpc(rpc_url, methods.discard, [address])
        for vote in plan.votes:
            rpc(rpc_url, methods.propose, [vote.address, vote.add])
        after = _pending(rpc(rpc_url, methods.pending, []), f"{rpc_url} {methods.pending}")
    except NodeError as exc:
        raise RPCError(f"the node refused a validator vote: {exc}") from None
    return SyncResult(listing, plan, after, dry_run)


def wait_in_sync(
    w3: Web3,
    rpc_urls: Sequence[str],
    consensus: str,
    validator_set: str,
    timeout: float,
    *,
    poll: float = 0.5,
    rpc: Rpc = _rpc,
    client: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ValidatorListing]:
    """Wait until the node at each of ``rpc_urls`` reports the on-chain set (the votes are in blocks
    and the change made); the listings then. :class:`WaitTimeoutError` after ``timeout`` seconds,
    naming the nodes still behind: more than half of the validators' nodes must have voted."""
    deadline = clock() + timeout
    while True:
        listings = [list_validators(w3, url, consensus, validator_set, rpc, client) for url in rpc_urls]
        behind = [listing for listing in listings if not listing.in_sync]
        if not behind:
            return listings
        if clock() >= deadline:
            first = behind[0]
            raise WaitTimeoutError(
                f"after {timeout:g} s the node {first.rpc_url} still reports {', '.join(first.node.validators)} "
                f"while the ValidatorSet holds {', '.join(first.on_chain)}: more than half of the validators' "
                "nodes must vote (run `consortium-evm validators sync` on each of them)"
            )
        sleep(poll)
