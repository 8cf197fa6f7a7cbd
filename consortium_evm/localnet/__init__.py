"""A real local Clique network: one geth 1.13 signer process per node, on 127.0.0.1 only.

Layout of a network folder (default ``<project root>/.consortium/nodes/``)::

    network.json        the state file (ports, PIDs, chain id, signers, dev accounts, ``local`` entry)
    genesis.json        the Clique genesis (consortium_evm.genesis.clique)
    password.txt        the generated keystore password (mode 600) geth unlocks the signers with
    dev-accounts.json   the funded development accounts with their private keys (mode 600)
    node1/              geth --datadir: keystore/, geth/ (chain, nodekey), config.toml,
                        geth.log, geth.pid
    node2/ ...

:func:`~consortium_evm.localnet.start.start_network` creates a network (or resumes a stopped one, keeping its chain), starts the
processes and waits until blocks are sealed and, with several signers, every node is peered with
every other. :func:`~consortium_evm.localnet.status.network_status` reads the processes and asks each node over JSON-RPC.
:func:`~consortium_evm.localnet.stop.stop_network` ends exactly the recorded processes (SIGTERM, then SIGKILL), and is harmless
when nothing runs.

Network traffic stays on the loopback: HTTP RPC and the engine API listen on 127.0.0.1, the P2P
listener is bound to 127.0.0.1 as well, discovery is off (``--nodiscover``), peers are static
127.0.0.1 enodes and ``--netrestrict 127.0.0.0/8 --nat none`` refuse anything else.

:mod:`~consortium_evm.localnet.start` creates and starts (or resumes) a network, with
:mod:`~consortium_evm.localnet.launch` for the processes; :mod:`~consortium_evm.localnet.status` and
:mod:`~consortium_evm.localnet.stop`. The record of a network (its state file) and the process and
JSON-RPC helpers are below, in :mod:`consortium_evm.node`.
"""
