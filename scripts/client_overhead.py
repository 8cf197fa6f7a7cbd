#!/usr/bin/env python3
"""The client's overhead: the same reads and transactions through ``ConsortiumClient`` and through
raw web3.py, timed in one run on one anvil.

Starts anvil on 127.0.0.1 (a free port, mining each transaction at once; stopped by its PID at the
end), deploys the consortium (three founding members) and opens two proposals. Then:

* **reads** (default 500), four kinds in turn, each producing the same information on every path:

  ====================  ====================================  =========================================
  kind                  client                                raw web3.py
  ====================  ====================================  =========================================
  members page          ``members.list()``                    ``totals()`` + ``getMembers(0, 250)``
  member by account     ``members.by_account(a)``             ``memberOf(a)`` + ``getMembers(id-1, 1)``
  transactionAllowed    ``access.account_allowed(a, t)``      ``ingress.transactionAllowed(a, t, ...)``
  proposal state        ``proposals.get(id)`` (state, tally)  ``state(id)`` + ``proposalCore(id)``
  ====================  ====================================  =========================================

* **transactions** (default 100): a member admin registers a fresh account for its member. Client:
  ``members.add_accounts({a: "transact"})`` (simulate, estimate, fees by the network's policy,
  the shared nonce counter, send, receipt). Raw: ``addAccounts(...).build_transaction`` with the
  nonce from ``eth_getTransactionCount``, ``sign_transaction``, ``send_raw_transaction``,
  ``wait_for_transaction_receipt``, status checked. Each path uses its own admin (members 1, 2
  and 3) so that none sees another's nonces.

Three paths do the same work:

* ``client``: ``ConsortiumClient.connect(network, account=...)`` from a ``networks.yaml`` and a
  deployment manifest (written to a temporary folder), as a back-end connects;
* ``raw web3.py``: the raw code on ``Web3(Web3.HTTPProvider(url))``, as a raw web3.py user writes
  it. web3's own validation asks ``eth_chainId`` around each ``eth_call`` and ``eth_estimateGas``
  (measured: three requests for one ``eth_call``);
* ``raw, same provider``: the same raw code on the Web3 the client gets from
  :func:`consortium_evm.chain.connect.http_web3` (the chain id asked once per thread), so that the
  difference to the client is the client library's own work.

Every path warms up first; then the reads and the transactions run in rounds, the paths' order
rotating each round, so that no path gets the quieter part of a shared machine. Requests to the
node are counted per path at the provider.

Usage::

    python scripts/client_overhead.py                       # 500 reads, 100 transactions
    python scripts/client_overhead.py --reads 40 --transactions 8 --json figures.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from consortium_evm.chain.connect import http_web3
from consortium_evm.client.core import ConsortiumClient
from consortium_evm.config.networks import load_network
from consortium_evm.deploy.suite import contract_at, deploy_suite
from consortium_evm.domain.spec import AccountSpec, ConsortiumSpec, MemberSpec, NodeSpec, Role
from consortium_evm.node.anvil import anvil_accounts, start_anvil

READ_KINDS = ("members page", "member by account", "transactionAllowed", "proposal state")
ROUNDS = 5
CLIENT, RAW, RAW_SAME = "client", "raw", "raw-same-provider"
WARM_READS = 8
WARM_TRANSACTIONS = 2


@dataclass
class Measured:
    """One way of doing the work (its reads by index, its send), and what it cost."""

    name: str
    read: Callable[[int], Callable[[], object]]
    send: Callable[[], object]
    seconds: Counter[str] = field(default_factory=Counter)
    count: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    """RPC requests per group ("warm-up", "reads", "transactions"), counted at the provider."""
    group: str = "warm-up"

    def total(self, kinds: Sequence[str]) -> tuple[float, int]:
        return sum(self.seconds[k] for k in kinds), sum(self.count[k] for k in kinds)


def count_requests(w3: Web3, path: Measured) -> None:
    """Count every request ``w3``'s HTTP provider makes, under ``path``'s current group."""
    provider: Any = w3.provider
    original = provider._make_request

    def counted(method: str, data: bytes) -> Any:
        path.requests[path.group] += 1
        return original(method, data)

    provider._make_request = counted


def timed(path: Measured, kind: str, op: Callable[[], object]) -> None:
    started = time.perf_counter()
    op()
    path.seconds[kind] += time.perf_counter() - started
    path.count[kind] += 1


class RawWeb3:
    """The same work with web3.py alone."""

    def __init__(self, w3: Web3, consortium: str, ingress: str, admin: LocalAccount, member_id: int) -> None:
        self.w3 = w3
        self.consortium: Contract = contract_at(self.w3, "Consortium", consortium)
        self.ingress: Contract = contract_at(self.w3, "PermissionIngress", ingress)
        self.admin = admin
        self.member_id = member_id
        self.chain_id = int(self.w3.eth.chain_id)

    def members_page(self) -> list[Any]:
        c = self.consortium.functions
        count = int(c.totals().call()[0])
        return list(c.getMembers(0, 250).call()) if count else []

    def member_by_account(self, address: str) -> Any:
        c = self.consortium.functions
        member_id, _active = c.memberOf(address).call()
        return c.getMembers(int(member_id) - 1, 1).call()[0] if member_id else None

    def transaction_allowed(self, address: str, target: str) -> bool:
        return bool(self.ingress.functions.transactionAllowed(address, target, 0, 0, 0, b"").call())

    def proposal_state(self, proposal_id: int) -> tuple[int, Any]:
        c = self.consortium.functions
        return int(c.state(proposal_id).call()), c.proposalCore(proposal_id).call()

    def add_account(self, address: str) -> Any:
        fn = self.consortium.functions.addAccounts(self.member_id, [address], [int(Role.TRANSACT)])
        tx = fn.build_transaction({
            "from": self.admin.address,
            "nonce": self.w3.eth.get_transaction_count(self.admin.address),
            "chainId": self.chain_id,
        })
        signed = self.admin.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        if receipt["status"] != 1:
            raise RuntimeError(f"raw transaction {tx_hash.hex()} failed")
        return receipt


def write_client_files(workdir: Path, url: str, chain_id: int, manifest: dict[str, Any], admin: LocalAccount) -> tuple[Path, Path, dict[str, str]]:
    (workdir / "deployments").mkdir(parents=True, exist_ok=True)
    (workdir / "deployments" / "bench.json").write_text(json.dumps(manifest))
    networks = workdir / "networks.yaml"
    networks.write_text(
        f"networks:\n  bench:\n    url: {url}\n    chain_id: {chain_id}\n    consensus: dev\n"
        "    accounts:\n      ops: {private_key_env: BENCH_ADMIN_KEY}\n"
    )
    return networks, workdir / "deployments", {"BENCH_ADMIN_KEY": admin.key.hex()}


def run(reads: int, transactions: int, say: Callable[[str], None] = print) -> dict[str, Any]:
    node = start_anvil()
    try:
        keys = anvil_accounts(6)
        w3 = Web3(Web3.HTTPProvider(node.url))
        founders = tuple(
            MemberSpec(
                name, weight,
                accounts=(AccountSpec(keys[i + 1].address, Role.ADMIN | Role.TRANSACT),),
                nodes=(NodeSpec(f"{i + 1:02x}" * 64, f"10.0.0.{i + 1}"),),
            )
            for i, (name, weight) in enumerate((("Acme Bank", 40), ("Globex Logistics", 35), ("Initech Insurance", 25)))
        )
        with tempfile.TemporaryDirectory(prefix="client-overhead-") as tmp:
            workdir = Path(tmp)
            deployment = deploy_suite(w3, keys[0], ConsortiumSpec(members=founders), network="bench", poll_interval=0.05)
            networks, deployments, environ = write_client_files(
                workdir, node.url, node.chain_id, deployment.manifest(), keys[1]
            )
            client = ConsortiumClient.connect(
                "bench", account="ops", networks_file=networks, deployments_dir=deployments, environ=environ
            )
            raw = RawWeb3(Web3(Web3.HTTPProvider(node.url)), deployment.consortium, deployment.ingress, keys[2], 2)
            # The same raw code on the client's transport (connect's Web3: the chain id asked once).
            raw_same = RawWeb3(
                http_web3(load_network("bench", networks, environ=environ)), deployment.consortium,
                deployment.ingress, keys[3], 3,
            )
            proposal_ids = [
                client.proposals.create(
                    client.actions.add_member(MemberSpec(f"Candidate {n}", 10)), f"Admit candidate {n}"
                ).proposal_id
                for n in (1, 2)
            ]
            probe = [keys[1].address, keys[2].address, keys[3].address, keys[5].address]  # 3 members, a stranger
            target = deployment.consortium

            def client_reads(i: int) -> Callable[[], object]:
                a = probe[(i // 4) % len(probe)]
                return (
                    client.members.list,
                    lambda: client.members.by_account(a),
                    lambda: client.access.account_allowed(a, target),
                    lambda: client.proposals.get(proposal_ids[i % 2]),
                )[i % 4]

            def raw_reads(r: RawWeb3) -> Callable[[int], Callable[[], object]]:
                def op(i: int) -> Callable[[], object]:
                    a = probe[(i // 4) % len(probe)]
                    return (
                        r.members_page,
                        lambda: r.member_by_account(a),
                        lambda: r.transaction_allowed(a, target),
                        lambda: r.proposal_state(proposal_ids[i % 2]),
                    )[i % 4]
                return op

            paths = [
                Measured(CLIENT, client_reads, lambda: client.members.add_accounts({Account.create().address: "transact"})),
                Measured(RAW, raw_reads(raw), lambda: raw.add_account(Account.create().address)),
                Measured(RAW_SAME, raw_reads(raw_same), lambda: raw_same.add_account(Account.create().address)),
            ]
            for path, w in zip(paths, (client.w3, raw.w3, raw_same.w3)):
                count_requests(w, path)

            # Same answers on every path: they do the same work.
            assert [m.id for m in client.members.list()] == [int(v[0]) for v in raw.members_page()]
            assert all(client.access.account_allowed(a, target) == raw.transaction_allowed(a, target) for a in probe)
            assert client.proposals.get(proposal_ids[0]).state == raw_same.proposal_state(proposal_ids[0])[0]

            for i in range(WARM_READS):
                for path in paths:
                    path.read(i)()
            for _ in range(WARM_TRANSACTIONS):
                for path in paths:
                    path.send()

            say(
                f"anvil at {node.url} (instant mining): {reads} reads and {transactions} transactions on each "
                f"path, in {ROUNDS} rounds, the paths' order rotating"
            )
            for group, total in (("reads", reads), ("transactions", transactions)):
                for path in paths:
                    path.group = group
                for r in range(ROUNDS):
                    lo, hi = total * r // ROUNDS, total * (r + 1) // ROUNDS
                    for path in paths[r % 3:] + paths[: r % 3]:
                        for i in range(lo, hi):
                            if group == "reads":
                                timed(path, READ_KINDS[i % 4], path.read(i))
                            else:
                                timed(path, "add account", path.send)

            figures = summarize({p.name: p for p in paths}, reads, transactions)
            report(figures, say)
            return figures
    finally:
        node.stop()


def summarize(paths: dict[str, Measured], reads: int, transactions: int) -> dict[str, Any]:
    """Totals, means and the client's overhead against each raw path."""
    out: dict[str, Any] = {"reads": reads, "transactions": transactions, "groups": {}, "kinds": {}}
    client = paths[CLIENT]
    for group, kinds in (("reads", READ_KINDS), ("transactions", ("add account",))):
        entry: dict[str, Any] = {}
        c_total, c_n = client.total(kinds)
        for name, path in paths.items():
            total, n = path.total(kinds)
            entry[name] = {
                "seconds": total, "ms_per_op": 1000 * total / max(1, n),
                "requests_per_op": path.requests[group] / max(1, n),
            }
            if name != CLIENT:
                entry[name]["client_overhead_pct"] = 100 * (c_total - total) / total if total else 0.0
                entry[name]["client_overhead_ms_per_op"] = 1000 * (c_total / max(1, c_n) - total / max(1, n))
        out["groups"][group] = entry
        for kind in kinds:
            out["kinds"][kind] = {
                name: 1000 * path.seconds[kind] / max(1, path.count[kind]) for name, path in paths.items()
            }
            out["kinds"][kind]["n"] = client.count[kind]
    return out


def report(figures: dict[str, Any], say: Callable[[str], None] = print) -> None:
    names = (CLIENT, RAW, RAW_SAME)
    heads = ("client", "raw web3.py", "raw, same provider")
    say("")
    say(f"{'':24}" + "".join(f"{h:>20}" for h in heads))
    for group, entry in figures["groups"].items():
        say(f"{group} ({figures[group]} per path)")
        say(f"{'  total':24}" + "".join(f"{entry[n]['seconds']:>18.3f} s" for n in names))
        say(f"{'  mean per operation':24}" + "".join(f"{entry[n]['ms_per_op']:>17.2f} ms" for n in names))
        say(f"{'  RPC requests per op':24}" + "".join(f"{entry[n]['requests_per_op']:>20.2f}" for n in names))
        say(
            f"{'  client overhead':24}{'':>20}"
            + "".join(
                f"{entry[n]['client_overhead_pct']:>+9.1f} % {entry[n]['client_overhead_ms_per_op']:>+5.2f} ms" for n in names[1:]
            )
        )
    say("")
    say(f"{'mean ms per kind':24}" + "".join(f"{h:>20}" for h in heads))
    for kind, k in figures["kinds"].items():
        label = f"  {kind} ({k['n']})"
        say(f"{label:24}" + "".join(f"{k[n]:>20.2f}" for n in names))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=500, help="reads per path (default 500)")
    parser.add_argument("--transactions", type=int, default=100, help="transactions per path (default 100)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.reads < 4 or args.transactions < 1:
        parser.error("at least 4 reads (one of each kind) and 1 transaction")
    figures = run(args.reads, args.transactions)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
