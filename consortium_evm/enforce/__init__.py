"""The consortium's rules enforced where the nodes do not ask them: a JSON-RPC gateway in front of a
node (``gateway``), a guard beside it (``guard``: peers and block audit), and what turning the rules
on would cut off (``preflight``)."""
