"""The nodes on this machine and how to talk to them; below every other chain-facing folder.

- :mod:`~consortium_evm.node.geth`: finding the geth binary (GETH_BINARY, .tools/bin/geth, PATH), the
  EVM versions its Clique runs.
- :mod:`~consortium_evm.node.anvil`: a throw-away anvil (the genesis pre-deployment runs on one).
- :mod:`~consortium_evm.node.tester`: the embedded chain (eth-tester, in this process).
- :mod:`~consortium_evm.node.rpc`: bare JSON-RPC calls to a node.
- :mod:`~consortium_evm.node.state`: the record of a local network (its folder and state file).
- :mod:`~consortium_evm.node.processes`: PIDs, ports, logs, stopping one process.

Starting, reading and stopping a whole local Clique network is :mod:`consortium_evm.localnet`, which
uses a genesis format of :mod:`consortium_evm.genesis`. This ``__init__`` imports nothing, so that
importing one module of the folder does not import the others.
"""
