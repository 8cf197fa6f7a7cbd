"""The chain's permission answers (``client.access``): the same calls GoQuorum and Besu make.

Both questions go to the ``PermissionIngress`` (the address nodes are configured with) as a
simulated call from the zero address at the latest block, exactly as the clients ask them, so the
answer is the one a node would get (on the embedded chain, which charges calls for gas, from its
first funded account: the rules do not look at the caller). Without the ingress address, the Consortium (the first rules
contract) is asked instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from consortium_evm.domain.permission import connection_question, is_allowed, transaction_question
from consortium_evm.domain.spec import enode_public_key, parse_address, parse_enode
from consortium_evm.errors import ConfigError, ContractRevertError

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient

CREATE = None
"""``target`` of :meth:`Access.account_allowed` for a contract creation."""


class Access:
    """Permission checks (``client.access``)."""

    def __init__(self, client: ConsortiumClient) -> None:
        self._client = client

    def account_allowed(
        self,
        sender: str,
        target: str | None,
        *,
        value: int = 0,
        gas_price: int = 0,
        gas_limit: int = 0,
        payload: bytes = b"",
        block: int | str = "latest",
    ) -> bool:
        """Whether ``sender`` may send a transaction to ``target`` (``None``: create a contract), as
        the rules answer at ``block`` (a number, or "latest")."""
        question = transaction_question(
            parse_address(sender, "sender"), parse_address(target, "target") if target else None, value, gas_price,
            gas_limit, payload,
        )
        return self._ask(question, block)

    def transaction_allowed(self, tx: Mapping[str, Any], block: int | str = "latest") -> bool:
        """Whether the rules at ``block`` allow a transaction as a node reports it (``eth_getBlock``
        with full transactions, ``eth_getTransaction``): its sender, target, value, fee (``maxFeePerGas``
        of an EIP-1559 transaction, else ``gasPrice``), gas and input, as a node would ask."""
        payload = tx.get("input", b"")
        data = bytes.fromhex(payload.removeprefix("0x")) if isinstance(payload, str) else bytes(payload)
        price = tx.get("maxFeePerGas", tx.get("gasPrice", 0))
        return self.account_allowed(
            str(tx["from"]), tx.get("to"), value=int(tx.get("value", 0)), gas_price=int(price or 0),
            gas_limit=int(tx.get("gas", 0)), payload=data, block=block,
        )

    def node_allowed(self, enode: str, host: str | None = None, port: int | None = None) -> bool:
        """Whether a node may connect: an enode URL, or an enode id with the host and port it
        connects from (both needed when the consortium matches nodes by id, host and port)."""
        if enode.strip().startswith("enode://"):
            if host is not None or port is not None:
                raise ConfigError("give an enode URL, or an enode id with a host and port, not both")
            node = parse_enode(enode)
            enode_id, host, port = node.enode_id, node.host, node.port
        else:
            enode_id = enode_public_key(enode.strip()).hex()
        return self._ask(connection_question(enode_id, host or "", int(port or 0)), "latest")

    def _ask(self, question: bytes, block: int | str) -> bool:
        """The rules' answer, read as the nodes read it (:func:`permission.is_allowed`); a rules
        contract that reverts is a refusal too, as for the nodes."""
        client = self._client
        target = str((client.ingress or client.consortium).address)
        try:
            answer = client.call_raw(target, question, block, sender=client.reader)
        except ContractRevertError:
            return False
        return is_allowed(answer)
