"""Transactions: fees (:mod:`~consortium_evm.tx.fees`: the network's gas policy turned into fee
fields, the funds check) and sending them (:mod:`~consortium_evm.tx.transactions`: nonces, signing,
broadcasting, waiting, node answers classified)."""
