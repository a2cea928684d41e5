"""How requisitions move: consent, rejection, expiry, and which accounts they open up.

Callers hold `store.lock`.
"""

from __future__ import annotations

import uuid

from payymo.sandbox.gocardless.seed import institution_accounts
from payymo.sandbox.gocardless.state import Account, Agreement, Requisition, Store

CONSENT_STEPS = ("GC", "UA", "SA", "GA", "LN")
OPEN_STATUSES = ("CR", "GC")


def expire_due(sim: Store) -> None:
    """Linked requisitions whose agreement's access period has run out become EX."""
    now = sim.now()
    for requisition in sim.data.requisitions.values():
        agreement = sim.data.agreements.get(requisition.agreement_id)
        expires = agreement.expires_at() if agreement else None
        if requisition.status == "LN" and expires is not None and now >= expires:
            requisition.move("EX")


def approve(sim: Store, requisition: Requisition) -> None:
    """The end user consents: walk the statuses to LN, link the accounts, accept the EUA."""
    for status in CONSENT_STEPS[CONSENT_STEPS.index(_consent_start(requisition)) :]:
        requisition.move(status)
    accounts = institution_accounts(sim.data, sim.config, requisition.institution_id)
    for account in accounts:
        if account.new_id_on_link:
            reissue_account_id(sim, account)
    requisition.accounts = [a.id for a in accounts]
    sim.data.ever_linked.update(requisition.accounts)
    agreement = sim.data.agreements.get(requisition.agreement_id)
    if agreement is not None and agreement.accepted is None:
        agreement.accepted = sim.now()


def reissue_account_id(sim: Store, account: Account) -> None:
    """The bank's new id for `account`: consents that linked the old one no longer reach it,
    and its quota counts afresh (the quota is per account id)."""
    del sim.data.accounts[account.id]
    account.id = str(uuid.uuid4())
    account.new_id_on_link = False
    sim.data.accounts[account.id] = account


def _consent_start(requisition: Requisition) -> str:
    current = requisition.status
    if current in CONSENT_STEPS[:-1]:
        return CONSENT_STEPS[CONSENT_STEPS.index(current) + 1]
    return CONSENT_STEPS[0]


def reject(requisition: Requisition) -> None:
    requisition.move("RJ")


def force_status(sim: Store, requisition: Requisition, status: str) -> None:
    """Test hook: LN on an unlinked requisition links it as a consent would."""
    if status == "LN" and not requisition.accounts:
        approve(sim, requisition)
    else:
        requisition.move(status)


def active_agreements(sim: Store, account_id: str) -> list[Agreement]:
    """The agreements of live (LN) requisitions that link `account_id`."""
    found = []
    for requisition in sim.data.requisitions.values():
        agreement = sim.data.agreements.get(requisition.agreement_id)
        if agreement and requisition.status == "LN" and account_id in requisition.accounts:
            found.append(agreement)
    return found
