"""GoQuorum's ``permissioned-nodes.json`` from the registry, after a membership change.

A GoQuorum node admits peers from ``permissioned-nodes.json`` (its data directory) for the first
seconds after it starts, before its permission service reads the contracts. The genesis and the
deployment write that file from the founding members; :func:`write_permissioned_nodes` writes it
from the registry as it is now: every registered node of every active member (a suspended or
removed member's nodes are left out), ordered by member id, then as registered. Then copy it into
each node's data directory::

    from consortium_evm.client import ConsortiumClient
    from consortium_evm.workflows.permissioned_nodes import write_permissioned_nodes

    written = write_permissioned_nodes(ConsortiumClient.connect("goquorum-local"))
    print(written.count, written.path, written.added, written.removed)

The nodes' URLs are the registry's ``NodeAdded`` events, plus the founders a genesis pre-deployed
without events (the manifest's ``genesis.founders``) and any ``known`` URLs, each kept only if the
registry holds its node. An active member's registered node whose URL none of them gives is an
error, not an omission; so is an empty list (a node reading it would admit no peer). The file is
written atomically (:func:`consortium_evm.util.atomic.write_json_atomic`): a failed write leaves the
old one as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consortium_evm.client.nodes import enode_id, founder_enodes, read_enode_list, registered_enodes
from consortium_evm.deploy.manifest import DEFAULT_DEPLOYMENTS_DIR
from consortium_evm.domain.goquorum import PERMISSIONED_NODES_FILE, permissioned_nodes
from consortium_evm.domain.spec import MemberStatus, node_key
from consortium_evm.errors import ConfigError
from consortium_evm.util.atomic import write_json_atomic
from consortium_evm.workflows.deployment import goquorum_folder

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient


@dataclass(frozen=True)
class PermissionedNodesFile:
    """What :func:`write_permissioned_nodes` wrote, and how it differs from the file it replaced."""

    path: Path
    enodes: tuple[str, ...]
    """The enode URLs written, in the file's order."""
    existed: bool
    """Whether a file was there before (``added`` and ``removed`` compare with it)."""
    added: tuple[str, ...]
    """URLs written that the old file did not list (all of them when there was none)."""
    removed: tuple[str, ...]
    """URLs the old file listed that are no longer written."""

    @property
    def count(self) -> int:
        """How many enode URLs were written."""
        return len(self.enodes)

    @property
    def changed(self) -> bool:
        """Whether the list differs from the old file's (a new file counts as a change)."""
        return not self.existed or bool(self.added or self.removed)

    def to_json(self) -> dict[str, Any]:
        """This record as JSON-ready data (``consortium-evm permissioning nodes-file --json``)."""
        return {"path": str(self.path), "count": self.count, "enodes": list(self.enodes), "existed": self.existed,
                "added": list(self.added), "removed": list(self.removed)}


def permissioned_nodes_path(out_dir: str | Path, network: str) -> Path:
    """Where network ``network``'s ``permissioned-nodes.json`` goes under ``out_dir``: beside
    ``permission-config.json`` in the folder the deployment writes for GoQuorum."""
    return goquorum_folder(out_dir, network) / PERMISSIONED_NODES_FILE


def active_member_enodes(client: ConsortiumClient, known: Sequence[str] = ()) -> tuple[str, ...]:
    """The enode URL of every registered node of every active member, by member id, then as
    registered. ``known``: URLs of registered nodes the events do not name and the manifest's
    founders do not list (a genesis network whose manifest predates ``genesis.founders``: its
    static-nodes.json). A ConfigError names each active member with a node whose URL is unknown."""
    genesis = {enode_id(enode) for enode in founder_enodes(client)}
    by_member: dict[int, list[str]] = {}
    # the founders' nodes first: a genesis registered them before any event
    found = sorted(registered_enodes(client, known).items(), key=lambda item: item[0] not in genesis)
    for node_id, enode in found:
        member_id, active, _host_hash, _port = client.call(client.consortium.functions.nodeAccess(node_key(node_id)))
        if active:
            by_member.setdefault(int(member_id), []).append(enode)
    unnamed = [(m, m.node_count - len(by_member.get(m.id, ())))
               for m in client.members.list(status=MemberStatus.ACTIVE) if m.node_count > len(by_member.get(m.id, ()))]
    if unnamed:
        which = ", ".join(f"{m.name} (member {m.id}): {n} of {m.node_count}" for m, n in unnamed)
        raise ConfigError(
            f"registered nodes of active members whose enode URL is not known: {which}. The registry keeps only "
            "a node's key; the URL comes from its NodeAdded event, or from the manifest's genesis.founders on a "
            "network started from a genesis file: give their URLs with --nodes FILE (e.g. the genesis output's "
            "static-nodes.json)"
        )
    return tuple(enode for member_id in sorted(by_member) for enode in by_member[member_id])


def write_permissioned_nodes(
    client: ConsortiumClient,
    *,
    network: str | None = None,
    out_dir: str | Path = DEFAULT_DEPLOYMENTS_DIR,
    path: str | Path | None = None,
    known: Sequence[str] = (),
) -> PermissionedNodesFile:
    """Write ``permissioned-nodes.json`` from the registry (:func:`active_member_enodes`) to ``path``,
    by default ``<out_dir>/<network>.goquorum/permissioned-nodes.json`` (``network``: the client's
    network by default), atomically. Refused with a ConfigError, writing nothing, when no active
    member has a node, when a registered node's URL is unknown, or when the file there is not a list
    of enode URLs."""
    if path is not None:
        target = Path(path)
    else:
        name = network or client.network_name
        if not name:
            raise ConfigError("where to write permissioned-nodes.json: give the network's name or the file's path")
        target = permissioned_nodes_path(out_dir, name)
    enodes = active_member_enodes(client, known)
    if not enodes:
        raise ConfigError(
            f"no active member has a registered node: {target} would admit no peer before the permission "
            "service is ready, so it was not written"
        )
    data = permissioned_nodes(enodes)
    existed = target.exists()
    try:
        previous = read_enode_list(target) if existed else ()
    except ConfigError as exc:
        raise ConfigError(f"{exc}; nothing was written: fix the file or move it away") from None
    try:
        write_json_atomic(target, data)
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}; nothing was written (a file already "
                          "there is as it was)") from exc
    old = set(previous)
    new = set(data)
    return PermissionedNodesFile(
        path=target,
        enodes=tuple(data),
        existed=existed,
        added=tuple(e for e in data if e not in old),
        removed=tuple(dict.fromkeys(e for e in previous if e not in new)),
    )
