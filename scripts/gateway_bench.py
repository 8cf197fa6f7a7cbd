#!/usr/bin/env python3
"""The gateway's cost: the same JSON-RPC requests straight to the node, through a bare pass-through
proxy on aiohttp (the hop alone; over the node's HTTP and over its WebSocket, the gateway's two
ways upstream), and through ``consortium-evm gateway`` (the hop and the checks), in one run against
one node. Prints figures; it is not a timed test.

Starts the node on 127.0.0.1 (``--node geth``, the default: a one-signer geth Clique network with
1 s blocks, the consortium chain the project runs, built by ``./dev setup``; ``--node anvil``: a
development node that mines each transaction at once; stopped by PID at the end), deploys the
consortium (one member whose admin sends), writes ``networks.yaml`` and the manifest to a temporary folder,
and starts the gateway (the CLI, ``python -m consortium_evm.cli gateway``) and the bare proxies
(this script with ``--bare``) as processes of their own, so that their CPU time can be read from
``/proc``. Then, the paths' order rotating each round:

* reads: ``eth_getBalance`` of the member at ``latest`` (``--reads`` each path);
* sends: a signed EIP-1559 transfer by the member (``eth_sendRawTransaction``; nonces handed out
  across the paths in turn, signed before the clock starts; ``--sends`` each path);
* throughput: 8 clients (threads, each its own kept-alive session) reading for ``--seconds`` each path;
* the gateway's CPU time (user + system, from ``/proc/PID/stat``) per request it served.

Usage: ``python scripts/gateway_bench.py [--node geth|anvil] [--reads 2000] [--sends 300] [--seconds 5] [--json] [--profile FILE] [--asyncio-loop] [--confirm-every-head]``
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bare_proxy(upstream: str, port: int, transport: str, asyncio_loop: bool = False) -> None:
    """A pass-through proxy on aiohttp: POST / forwarded as it came, over the node's HTTP with the
    gateway's client settings (``http``) or over the gateway's own WebSocket pool (``ws``): the hop
    alone, on each of the gateway's ways upstream."""
    import asyncio

    import aiohttp
    from aiohttp import web

    from consortium_evm.enforce.gateway.sockets import SocketPool

    async def start(app: web.Application) -> None:
        app["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256, keepalive_timeout=30),
                                               timeout=aiohttp.ClientTimeout(total=30))
        app["sockets"] = SocketPool(lambda: app["session"], upstream.replace("http", "ws", 1), 30.0)

    async def stop(app: web.Application) -> None:
        await app["sockets"].close()
        await app["session"].close()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        if transport == "ws":
            answer = await request.app["sockets"].exchange(body.decode())
            return web.Response(body=answer.encode(), headers={"Content-Type": "application/json"})
        async with request.app["session"].post(upstream, data=body, headers={"Content-Type": "application/json"}) as r:
            return web.Response(body=await r.read(), status=r.status,
                                headers={"Content-Type": r.headers.get("Content-Type", "application/json")})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/", forward)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    from consortium_evm.enforce.gateway.running import new_event_loop  # the gateway's loop (uvloop if installed)

    loop = asyncio.new_event_loop() if asyncio_loop else new_event_loop()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=loop)


PROFILED = """
import cProfile, runpy, sys, time
profile = cProfile.Profile(time.process_time)  # CPU time: the gateway's own work, not the waits
sys.argv = ["consortium-evm", *sys.argv[1:]]
profile.enable()
try:
    runpy.run_module("consortium_evm.cli", run_name="__main__")
finally:
    profile.disable()
    profile.dump_stats({out!r})
"""
"""The gateway under cProfile, timed by CPU time (``--profile``)."""
PLAIN = """
import runpy, sys
sys.argv = ["consortium-evm", *sys.argv[1:]]
runpy.run_module("consortium_evm.cli", run_name="__main__")
"""
ASYNCIO_LOOP = """
import asyncio
from consortium_evm.enforce.gateway import running
running.new_event_loop = asyncio.new_event_loop
"""
"""Prefixed to the gateway's program with ``--asyncio-loop``."""


def checks_by_head(requests: Any, url: str) -> dict[str, float]:
    """The gateway's permission checks so far, by how it knew the node's head (``gateway_checks_total``)."""
    found: dict[str, float] = {}
    for line in requests.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith('gateway_checks_total{head="'):
            found[line.split('"')[1]] = float(line.rsplit(" ", 1)[1])
    return found


def upstream_rpc(requests: Any, url: str) -> tuple[float, float]:
    """The gateway's own requests to the node so far (its permission checks): seconds, count."""
    text = requests.get(url + "/metrics", timeout=10).text
    found = {}
    for line in text.splitlines():
        for what in ("sum", "count"):
            if line.startswith(f'gateway_upstream_latency_seconds_{what}{{kind="rpc"}}'):
                found[what] = float(line.rsplit(" ", 1)[1])
    return found.get("sum", 0.0), found.get("count", 0.0)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited: {process.communicate()}")
        try:
            requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--node", choices=("geth", "anvil"), default="geth",
                        help="a one-signer geth Clique network with 1 s blocks (the default), or anvil (a development "
                             "node that mines each transaction at once)")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--sends", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--asyncio-loop", action="store_true",
                        help="serve the gateway and the bare proxy on asyncio's own loop, not uvloop's (to compare)")
    parser.add_argument("--confirm-every-head", action="store_true",
                        help="leave the chain's block period out of networks.yaml: the gateway confirms the head with "
                             "every check, even within the block period (to compare)")
    parser.add_argument("--profile", metavar="FILE", help="run the gateway under cProfile, its statistics to FILE")
    parser.add_argument("--bare", nargs=3, metavar=("UPSTREAM", "PORT", "TRANSPORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_proxy(args.bare[0], int(args.bare[1]), args.bare[2], args.asyncio_loop)
        return

    import requests
    from consortium_evm.deploy.suite import deploy_suite
    from consortium_evm.domain.spec import AccountSpec, ConsortiumSpec, MemberSpec, NodeSpec, Role

    node = start_node(args.node)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        deployer, member, w3 = node.deployer, node.member, node.w3
        spec = ConsortiumSpec(members=(MemberSpec("Bench", 100, accounts=(AccountSpec(member.address, Role.ADMIN | Role.TRANSACT),),
                                                  nodes=(NodeSpec("01" * 64, "10.0.0.1"),)),))
        work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
        (work / "deployments").mkdir()
        deployment = deploy_suite(w3, deployer, spec, network="bench", manifest_path=work / "deployments" / "bench.json",
                                  poll_interval=0.05)
        period = "" if node.block_period is None or args.confirm_every_head else f"    block_period: {node.block_period}\n"
        (work / "networks.yaml").write_text(
            f"networks:\n  bench:\n    url: {node.url}\n    chain_id: {node.chain_id}\n    consensus: {node.consensus}\n"
            + period)
    except BaseException:
        node.stop()
        raise
    _run(args, node, work, deployment.ingress, processes, requests)


@dataclass
class BenchNode:
    """The node every path reaches: its URL, a funded deployer, a member that sends, how to stop it."""

    name: str
    url: str
    chain_id: int
    consensus: str
    deployer: Any
    member: Any
    w3: Any
    stop: Any
    block_period: int | None = None


def start_node(kind: str) -> BenchNode:
    """anvil on 127.0.0.1 (each transaction mined at once), or a one-signer geth Clique network with
    1 s blocks (HTTP and WebSocket on one port, as ``consortium-evm network start`` runs it)."""
    from eth_account import Account

    if kind == "anvil":
        from consortium_evm.node.anvil import anvil_accounts, start_anvil
        from web3 import Web3

        keys = anvil_accounts(3)
        anvil = start_anvil()
        return BenchNode("anvil", anvil.url, anvil.chain_id, "dev", keys[0], keys[1],
                         Web3(Web3.HTTPProvider(anvil.url)), anvil.stop)
    from consortium_evm.localnet.start import start_network
    from consortium_evm.localnet.stop import stop_network
    from consortium_evm.node.rpc import clique_web3
    from consortium_evm.node.state import load_dev_accounts

    root = Path(tempfile.mkdtemp(prefix="gateway-bench-geth-"))
    state = start_network(root, signers=1, period=1, chain_id=46_464, timeout=60, log=None)
    try:
        w3 = clique_web3(state.rpc_url)
        deployer = Account.from_key(load_dev_accounts(root)[0].private_key)
        member = Account.create()
        fee = int(w3.eth.get_block("latest")["baseFeePerGas"])
        funding = deployer.sign_transaction({
            "to": member.address, "value": 10**21, "gas": 21000, "maxFeePerGas": 4 * fee + 10**9,
            "maxPriorityFeePerGas": 10**9, "nonce": w3.eth.get_transaction_count(deployer.address),
            "chainId": state.chain_id, "type": 2})
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(funding.raw_transaction), timeout=30)
    except BaseException:
        stop_network(root, timeout=10)
        raise
    return BenchNode("geth", state.rpc_url, state.chain_id, "clique", deployer, member, w3,
                     lambda: stop_network(root, timeout=10), block_period=state.period)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(args: Any, node: BenchNode, work: Path, ingress: str, processes: list[Any], requests: Any) -> None:
    from consortium_evm.domain.permission import ZERO_ADDRESS, transaction_question
    from consortium_evm.enforce.gateway.rawtx import decode_raw_transaction

    member, deployer, w3 = node.member, node.deployer, node.w3
    try:
        gw_port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        profile = ["-c", PROFILED.format(out=args.profile)] if args.profile else ["-c", PLAIN]
        if args.asyncio_loop:
            profile[1] = ASYNCIO_LOOP + profile[1]
        gateway = subprocess.Popen(
            [sys.executable, *profile, "gateway", "--network", "bench", "--networks",
             str(work / "networks.yaml"), "--deployments", str(work / "deployments"), "--listen", f"127.0.0.1:{gw_port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        processes.append(gateway)
        urls = {"direct": node.url, "gateway": f"http://127.0.0.1:{gw_port}"}
        started = {"gateway": gateway}
        for transport in ("http", "ws"):
            name, port = f"bare-{transport}", _free_port()
            started[name] = subprocess.Popen(
                [sys.executable, __file__, "--bare", node.url, str(port), transport,
                 *(["--asyncio-loop"] if args.asyncio_loop else [])],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            processes.append(started[name])
            urls[name] = f"http://127.0.0.1:{port}"
        for name, process in started.items():
            wait_up(urls[name], process)
        sessions = {name: requests.Session() for name in urls}
        served = {"gateway": 0}

        def call(name: str, method: str, params: list[Any]) -> Any:
            answer = sessions[name].post(urls[name], json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                                         timeout=30).json()
            if "error" in answer:
                raise SystemExit(f"{name} {method}: {answer['error']}")
            if name == "gateway":
                served["gateway"] += 1
            return answer["result"]

        names = ["direct", "bare-http", "bare-ws", "gateway"]
        count = len(names)
        for name in names:  # warm-up
            for _ in range(50):
                call(name, "eth_getBalance", [member.address, "latest"])
        cpu_start, served_start = cpu_seconds(gateway.pid), served["gateway"]

        reads: dict[str, list[float]] = {n: [] for n in names}
        for i in range(args.reads):
            for name in names[i % count:] + names[:i % count]:
                began = time.perf_counter()
                call(name, "eth_getBalance", [member.address, "latest"])
                reads[name].append(time.perf_counter() - began)

        rpc_before = upstream_rpc(requests, urls["gateway"])
        heads_before = checks_by_head(requests, urls["gateway"])
        nonce = w3.eth.get_transaction_count(member.address)
        fee = int(w3.eth.get_block("latest")["baseFeePerGas"])
        raws = []
        for k in range(args.sends * count):
            tx = {"to": deployer.address, "value": 1, "gas": 21000, "maxFeePerGas": 4 * fee + 10**9,
                  "maxPriorityFeePerGas": 10**9, "nonce": nonce + k, "chainId": node.chain_id, "type": 2}
            raws.append("0x" + member.sign_transaction(tx).raw_transaction.hex())
        sends: dict[str, list[float]] = {n: [] for n in names}
        checks: list[float] = []  # the gateway's own question, asked straight of the node: what a check costs it
        k = 0
        for i in range(args.sends):
            tx = decode_raw_transaction(raws[k], node.chain_id)
            data = "0x" + transaction_question(tx.sender, tx.to, tx.value, tx.gas_price, tx.gas, tx.data).hex()
            began = time.perf_counter()
            call("direct", "eth_call", [{"from": ZERO_ADDRESS, "to": ingress, "data": data}, "latest"])
            checks.append(time.perf_counter() - began)
            for name in names[i % count:] + names[:i % count]:
                began = time.perf_counter()
                call(name, "eth_sendRawTransaction", [raws[k]])
                sends[name].append(time.perf_counter() - began)
                k += 1
        cpu_used, gw_requests = cpu_seconds(gateway.pid) - cpu_start, served["gateway"] - served_start
        rpc_after = upstream_rpc(requests, urls["gateway"])
        heads_after = checks_by_head(requests, urls["gateway"])
        by_head = {how: heads_after[how] - heads_before.get(how, 0.0) for how in heads_after}
        gateway_check_ms = (rpc_after[0] - rpc_before[0]) / max(1, rpc_after[1] - rpc_before[1]) * 1000
        health = requests.get(urls["gateway"] + "/health", timeout=10).json()

        throughput: dict[str, float] = {}
        for name in names:
            counts = [0] * args.clients
            stop_at = time.perf_counter() + args.seconds

            def client(index: int, target: str = name, until: float = stop_at) -> None:
                session = requests.Session()
                body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [member.address, "latest"]}
                while time.perf_counter() < until:
                    assert "result" in session.post(urls[target], json=body, timeout=30).json()
                    counts[index] += 1

            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            throughput[name] = sum(counts) / args.seconds

        mean = {n: statistics.fmean(v) * 1000 for n, v in reads.items()}
        send_mean = {n: statistics.fmean(v) * 1000 for n, v in sends.items()}
        figures = {
            "node": node.name, "loop": _loop_name(args.asyncio_loop),
            "reads": args.reads, "sends": args.sends, "clients": args.clients, "seconds": args.seconds,
            "read_ms": mean, "read_p50_ms": {n: statistics.median(v) * 1000 for n, v in reads.items()},
            "send_ms": send_mean, "throughput_rps": throughput,
            "read_gateway_over_direct": mean["gateway"] / mean["direct"],
            "read_gateway_over_bare": mean["gateway"] / mean["bare-http"],
            "read_gateway_over_bare_ws": mean["gateway"] / mean["bare-ws"],
            "send_gateway_over_direct": send_mean["gateway"] / send_mean["direct"],
            "send_bare_ws_over_direct": send_mean["bare-ws"] / send_mean["direct"],
            "throughput_gateway_over_direct": throughput["gateway"] / throughput["direct"],
            "gateway_cpu_ms_per_request": cpu_used / gw_requests * 1000,
            "gateway_cpu_requests": gw_requests,
            "check_ms": statistics.fmean(checks) * 1000,
            "gateway_check_ms": gateway_check_ms,
            "gateway_checks": rpc_after[1] - rpc_before[1],
            "send_floor_over_direct": (send_mean["bare-ws"] + gateway_check_ms) / send_mean["direct"],
            "head_from": health.get("headFrom"), "upstream": health.get("upstream"),
            "sends_checked_by_head": by_head,
        }
        if args.json:
            print(json.dumps(figures, indent=2))
            return
        print(f"{node.name} {node.url}; {args.reads} reads and {args.sends} sends per path, paths in rotating order; "
              f"{figures['loop']}")
        print(f"{'path':<10} {'read mean':>10} {'read p50':>9} {'send mean':>10} {'8-client rps':>13}")
        for n in names:
            print(f"{n:<10} {mean[n]:>8.3f}ms {figures['read_p50_ms'][n]:>7.3f}ms {send_mean[n]:>8.3f}ms "
                  f"{throughput[n]:>13.0f}")
        print(f"reads: gateway/direct {figures['read_gateway_over_direct']:.2f} (target <= 1.5), "
              f"gateway/bare-http {figures['read_gateway_over_bare']:.2f} (target <= 1.2), "
              f"gateway/bare-ws {figures['read_gateway_over_bare_ws']:.2f}")
        print(f"sends: gateway/direct {figures['send_gateway_over_direct']:.2f} (target <= 1.5); bare-ws/direct "
              f"{figures['send_bare_ws_over_direct']:.2f}; the floor of a checked send, (bare-ws send + the gateway's "
              f"check {gateway_check_ms:.3f}ms) / direct send: {figures['send_floor_over_direct']:.2f}; "
              f"{figures['gateway_checks']:.0f} check round trips for {args.sends} sends; the check straight from this "
              f"client {figures['check_ms']:.3f}ms; the gateway's head from {figures['head_from']}, upstream "
              f"{figures['upstream']}; the sends' checks by how the head was known: "
              f"{', '.join(f'{how} {n:.0f}' for how, n in sorted(by_head.items()))}")
        print(f"8 clients: gateway/direct throughput {figures['throughput_gateway_over_direct']:.2f} (target >= 0.7)")
        print(f"gateway CPU: {figures['gateway_cpu_ms_per_request']:.3f} ms per request "
              f"({gw_requests} reads and sends)")
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)  # a clean stop: cProfile writes its statistics
            process.wait(timeout=10)
        node.stop()


def _loop_name(asyncio_loop: bool) -> str:
    if asyncio_loop:
        return "asyncio's loop"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio's loop (uvloop not installed: pip install '.[gateway]')"
    return "uvloop"


if __name__ == "__main__":
    main()
