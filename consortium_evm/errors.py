"""One small error hierarchy: every failure a user can meet becomes one of these.

Each message is written for a person to act on; the CLI prints ``str(error)`` and exits non-zero.
"""

from __future__ import annotations

from typing import Any


class ConsortiumError(Exception):
    """Base of every error raised on purpose by consortium-evm."""


class ConfigError(ConsortiumError):
    """A configuration file or setting is missing, malformed or inconsistent."""


class CompilerError(ConsortiumError):
    """Solidity could not be compiled, or no usable compiler was found."""


class CompilerNotFoundError(CompilerError):
    """No solc binary could be resolved."""


class CompilerVersionError(CompilerError):
    """A solc was found but its version is not the pinned one."""


class ArtifactError(ConsortiumError):
    """A compiled artifact is missing or does not match its sources."""


class RPCError(ConsortiumError):
    """The node could not be reached or answered with a fault."""


class SignerError(ConsortiumError):
    """A remote signer (Clef, Web3Signer) did not sign, or signed something else than asked.

    ``url`` is the signer's endpoint and ``account`` the address it was asked to sign for; both
    are in the message too."""

    def __init__(self, message: str, url: str = "", account: str = "") -> None:
        self.url = url
        self.account = account
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.url, self.account))


class SignerUnreachableError(SignerError):
    """The signer could not be reached, timed out, or did not answer JSON-RPC."""


class SignerRefusedError(SignerError):
    """The signer refused or rejected the request (its rules, an operator, its policy)."""


class SignerAccountError(SignerError):
    """The signer does not hold (or has not unlocked) the account it was asked to sign for."""


class SignerMismatchError(SignerError):
    """What the signer returned is not what was asked: another transaction, another chain, or a
    signature that is not the account's. Nothing was broadcast."""


class ChainMismatchError(ConsortiumError):
    """The node's chain id is not the one the configuration expects."""


class TransactionError(ConsortiumError):
    """A transaction failed (reverted, ran out of gas, or was never mined)."""


class TransactionTimeoutError(TransactionError):
    """A sent transaction had no receipt (or not its confirmations) in time; it may still be mined."""

    def __init__(self, message: str, tx_hash: str) -> None:
        self.tx_hash = tx_hash
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions are pickled as type(self)(*self.args): keep the constructor's arguments
        # (for process pools, task queues, logging handlers in other processes).
        return (type(self), (str(self), self.tx_hash))


class ContractRevertError(TransactionError):
    """A call or transaction reverted with a custom error decoded from the contract's ABI.

    ``name`` is the Solidity error's name and ``args_by_name`` its decoded arguments, by parameter
    name; each argument is also an attribute in snake case (``exc.proposal_id``). The errors of our
    contracts have a class each, named like the Solidity error (:mod:`consortium_evm.contract_errors`).
    """

    def __init__(self, name: str, args: dict[str, Any], message: str | None = None) -> None:
        self.name = name
        self.args_by_name = args
        shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
        super().__init__(message or f"reverted with {name}({shown})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.args_by_name, str(self)))

    def __getattr__(self, attribute: str) -> Any:
        # Only called for attributes not found otherwise: the decoded arguments, in snake case.
        by_name = self.__dict__.get("args_by_name", {})
        for key, value in by_name.items():
            if key == attribute or _snake(key) == attribute:
                return value
        raise AttributeError(f"{type(self).__name__} has no argument {attribute!r}")


def _snake(name: str) -> str:
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


class AccountRequiredError(ConfigError):
    """A transaction (or a signature) was asked of a client without the account it needs.

    The message is ``<what> <problem>: <remedy>``; ``what`` says what needed the account
    (``proposing``), ``problem`` what is missing, and ``remedy`` what to do in the Python API's
    words (``connect with account=NAME``). A program in other words (the CLI's ``--account NAME``)
    says it with :meth:`message_with` and its own remedy, keeping the rest.
    """

    API_REMEDY = "connect with account=NAME (a named account of networks.yaml) or pass account= to from_web3"
    """What the Python API says to do when a client has no signing account."""

    def __init__(self, what: str, problem: str = "needs a signing account", remedy: str | None = API_REMEDY) -> None:
        self.what = what
        self.problem = problem
        self.remedy = remedy
        super().__init__(self.message_with(remedy))

    def message_with(self, remedy: str | None) -> str:
        """The message with ``remedy`` in place of the API's (only when it had one: a missing key
        of an account that is there is said the same way everywhere)."""
        shown = remedy if self.remedy is not None else None
        return f"{self.what} {self.problem}" + (f": {shown}" if shown else "")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.what, self.problem, self.remedy))


class DeploymentError(ConsortiumError):
    """A deployment step failed or a deployment manifest is inconsistent."""


class DeploymentRevertError(DeploymentError):
    """A deployment step would revert (simulated on the node or rehearsed): nothing was sent."""


class DeploymentTimeoutError(DeploymentError):
    """A deployment step's transaction was not mined in time; the journal resumes it."""


class WaitTimeoutError(ConsortiumError):
    """Something waited for did not happen in time."""


class ProposalOutcomeError(ConsortiumError):
    """A proposal ended in another state than the one waited for."""
