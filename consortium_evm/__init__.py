"""consortium-evm: the smart-contract layer of an EVM consortium chain."""

__version__ = "0.1.0"
