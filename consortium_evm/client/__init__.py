"""The member client library: everything a member back-end does, in a few lines of Python.

::

    from consortium_evm.client import ConsortiumClient

    client = ConsortiumClient.connect("consortium", account="ops")  # networks.yaml + deployments/
    proposal = client.proposals.create(client.actions.suspend_member(3), "Suspend member 3")
    client.proposals.vote(proposal.proposal_id, "for")

Parts: ``client.members``, ``client.proposals``, ``client.actions``, ``client.access``,
``client.events``. Reverts raise the classes of :mod:`consortium_evm.contract_errors`; node and
configuration faults those of :mod:`consortium_evm.errors`.
"""

from __future__ import annotations

from consortium_evm.client.core import ConsortiumClient
from consortium_evm.deploy.manifest import Manifest, read_manifest
from consortium_evm.client.events import Event, EventWatch, MemberEvent, ProposalEvent, VoteEvent
from consortium_evm.client.models import (
    Action,
    Member,
    MemberAccount,
    MemberDetails,
    MemberNode,
    Proposal,
    Proposed,
    Settings,
    SignedVote,
    Status,
    Support,
    Tally,
    Totals,
    Voted,
)
from consortium_evm.domain.proposals import ProposalState
from consortium_evm.domain.spec import AccountSpec, MemberSpec, MemberStatus, NodeMatch, NodeSpec, Role
from consortium_evm.tx.transactions import Sent

__all__ = [
    "AccountSpec",
    "Action",
    "ConsortiumClient",
    "Event",
    "EventWatch",
    "Member",
    "MemberAccount",
    "MemberDetails",
    "MemberEvent",
    "MemberNode",
    "MemberSpec",
    "MemberStatus",
    "NodeMatch",
    "NodeSpec",
    "Proposal",
    "ProposalEvent",
    "ProposalState",
    "Proposed",
    "Role",
    "Sent",
    "Settings",
    "SignedVote",
    "Status",
    "Support",
    "Tally",
    "Totals",
    "VoteEvent",
    "Voted",
    "Manifest",
    "read_manifest",
]
