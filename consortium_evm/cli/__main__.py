"""``python -m consortium_evm.cli``: the same as the ``consortium-evm`` command."""

from consortium_evm.cli import main

main()
