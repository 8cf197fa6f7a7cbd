"""The ``accounts:`` entries of a network in networks.yaml: a keystore with its password variable, a
private key in the environment, a development key, or a remote signer (Clef, Web3Signer).

No secret is written here: passwords, keys and bearer tokens are named by environment variable.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from consortium_evm.config.fields import Address, EnvName, StrictModel, no_bool
from consortium_evm.domain.devkeys import MAX_DEV_INDEX


SignerKind = Literal["clef", "web3signer"]
SIGNER_KINDS: tuple[str, ...] = ("clef", "web3signer")

DEFAULT_SIGNER_TIMEOUT = 30.0
"""Seconds a remote signer may take for one request, unless ``signer.timeout`` says otherwise."""


class SignerConfig(StrictModel):
    """A remote signer holding the account's key: ``{kind: clef|web3signer, url: ..., address: ...}``.

    No secret goes here: a bearer token (for a signer behind an authenticating proxy) is read from
    the environment variable ``token_env`` names."""

    kind: SignerKind
    url: str
    """The signer's JSON-RPC endpoint: Clef's ``--http`` (default port 8550), Web3Signer's HTTP port
    (default 9000)."""
    address: Address
    """The account the signer signs for (a signer may hold several)."""
    token_env: EnvName | None = None
    """The environment variable holding a bearer token sent as ``Authorization: Bearer ...``."""
    timeout: Annotated[float, BeforeValidator(no_bool), Field(gt=0, le=3600)] = DEFAULT_SIGNER_TIMEOUT
    """Seconds one signing request may take (raise it when an operator approves each request)."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"https?://[^\s/]+", value):
            raise ValueError(f"expected the signer's http:// or https:// URL, got {value!r}")
        return value



class AccountConfig(StrictModel):
    """A named account: a keystore file with its password, a private key in the environment, a
    development key, or a remote signer."""

    keystore: str | None = None
    """An eth-account JSON keystore file, relative to the networks file."""
    password_env: EnvName | None = None
    """The environment variable holding the keystore's password (else an interactive prompt)."""
    private_key_env: EnvName | None = None
    """The environment variable holding the private key (for CI)."""
    address: Address | None = None
    """Optional: the address the key must have (checked when the account is loaded)."""
    dev_account: Annotated[int, BeforeValidator(no_bool), Field(ge=0, le=MAX_DEV_INDEX)] | None = None
    """Account N of the well-known development mnemonic (:mod:`consortium_evm.domain.devkeys`), funded by
    the local network (0 to 4), anvil (0 to 9) or a genesis that names it; development only."""
    signer: SignerConfig | None = None
    """A remote signer (Clef, Web3Signer) that holds the key and signs for the account."""


    @model_validator(mode="after")
    def _one_source(self) -> AccountConfig:
        if sum(x is not None for x in (self.keystore, self.private_key_env, self.dev_account, self.signer)) != 1:
            raise ValueError(
                "an account needs exactly one of keystore (with password_env), private_key_env, dev_account "
                "or signer"
            )
        if self.signer is not None and self.address is not None:
            raise ValueError("a signer account's address goes in signer.address")
        if self.password_env is not None and self.keystore is None:
            raise ValueError("password_env goes with keystore")
        return self


__all__ = ["DEFAULT_SIGNER_TIMEOUT", "SIGNER_KINDS", "AccountConfig", "SignerConfig", "SignerKind"]
