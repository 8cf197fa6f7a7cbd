"""A connection to a chain: the web3 checked against the network's chain id
(:mod:`~consortium_evm.chain.connect`), the accounts that sign on it
(:mod:`~consortium_evm.chain.accounts`), and the consensus validator votes of a running chain
(:mod:`~consortium_evm.chain.validators`)."""
