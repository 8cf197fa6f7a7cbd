"""The CLI as a person and a script use it, against the session's embedded chain: the ``cli``
fixture runs ``consortium-evm`` through click's CliRunner with a client factory in the click context
(``obj={"client_factory": ...}``, the hook an embedding program uses too)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account.signers.local import LocalAccount

from consortium_evm.cli import main
from consortium_evm.cli.options import ClientOptions
from consortium_evm.client import ConsortiumClient
from consortium_evm.node.tester import tester_accounts
from tests.support.consortium import Env, node_private_key

KEYS = {key.address: key for key in tester_accounts(20)}


class Session:
    """Runs the CLI against ``env`` with named accounts acme, globex, initech (the founders' admins)
    and relay (an account of no member)."""

    def __init__(self, env: Env) -> None:
        self.env = env
        founders = env.founders
        self.accounts: dict[str, LocalAccount] = {
            "acme": KEYS[founders[0].admin],
            "globex": KEYS[founders[1].admin],
            "initech": KEYS[founders[2].admin],
            "relay": KEYS[env.spare[0]],
            "newcomer": KEYS[env.spare[4]],
            "pending": KEYS[env.spare[5]],
        }
        self.made: list[ClientOptions] = []

    def factory(self, options: ClientOptions) -> ConsortiumClient:
        self.made.append(options)
        account = self.accounts[options.account] if options.account else None
        d = self.env.deployment
        return ConsortiumClient.from_web3(self.env.w3, d.consortium, d.ingress, account=account)

    def run(self, *args: str, account: str | None = None, as_json: bool = False) -> Result:
        argv = [*args, "--network", "test"]
        if account:
            argv += ["--account", account]
        if as_json:
            argv.append("--json")
        return CliRunner().invoke(main, argv, obj={"client_factory": self.factory})

    def ok(self, *args: str, account: str | None = None) -> str:
        result = self.run(*args, account=account)
        assert result.exit_code == 0, result.output
        return result.output

    def json(self, *args: str, account: str | None = None) -> Any:
        result = self.run(*args, account=account, as_json=True)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def fails(self, *args: str, account: str | None = None, code: int | None = None) -> str:
        """The error output of a command that fails with exit ``code``; by default 5 (on-chain
        refusal) for a named revert, else 3 (configuration)."""
        result = self.run(*args, account=account)
        if code is None:
            code = 5 if "reverted with" in result.output else 3
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result.output


@pytest.fixture
def cli(env: Env) -> Session:
    """The CLI against the session's chain (reset after each test with ``env``)."""
    return Session(env)


def proposal_number(output: str) -> str:
    match = re.search(r"Proposal (#\d+) created", output)
    assert match, output
    return match.group(1)


def node_key_file(tmp_path: Path, n: int) -> str:
    """Test node ``n``'s key as geth keeps it in its nodekey file (hex, no 0x)."""
    path = tmp_path / f"nodekey{n}"
    path.write_text(node_private_key(n).hex() + "\n")
    return str(path)


