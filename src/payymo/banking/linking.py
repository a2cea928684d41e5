"""The accounts a consent links: fetched from the provider, then created or re-attached."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.banking import ledger
from payymo.banking.models import AccountSource, BankAccount, BankConnection, ProviderCallScope
from payymo.banking.provider import AccountDetails, AccountMetadata, BankProvider
from payymo.errors import Conflict
from payymo.http import AppServices
from payymo.integrations.errors import ProviderBadResponse
from payymo.masking import mask_iban


@dataclass(frozen=True)
class LinkedAccount:
    provider_account_id: str
    metadata: AccountMetadata
    # Only fetched for accounts Payymo does not know yet: details calls count against the
    # bank's daily quota, and a renewal re-links known accounts.
    details: AccountDetails | None


def fetch_accounts(
    app: AppServices, tenant_id: uuid.UUID, provider: BankProvider, account_ids: tuple[str, ...]
) -> list[LinkedAccount]:
    """Everything needed to store the linked accounts, fetched before anything is stored."""
    if not account_ids:
        return []
    with app.db.unit_of_work(tenant_id) as session:
        known = set(
            session.scalars(
                select(BankAccount.provider_account_id).where(
                    BankAccount.tenant_id == tenant_id,
                    BankAccount.source == AccountSource(provider.name),
                    BankAccount.provider_account_id.in_(account_ids),
                )
            )
        )
    found = []
    for account_id in dict.fromkeys(account_ids):
        metadata = provider.account_metadata(account_id)
        if metadata.id != account_id:
            raise ProviderBadResponse("the provider answered with another account")
        details = None if account_id in known else provider.account_details(account_id)
        found.append(LinkedAccount(account_id, metadata, details))
    return found


def link_accounts(
    session: Session,
    connection: BankConnection,
    found: list[LinkedAccount],
    actor: Actor,
    now: datetime,
) -> set[uuid.UUID]:
    """Create or re-attach each account to `connection`; the connections they moved from."""
    moved_from: set[uuid.UUID] = set()
    listed = {linked.provider_account_id for linked in found}
    for linked in found:
        account = _existing(session, connection, linked.provider_account_id)
        if account is None and (account := _reissued(session, connection, linked, listed)):
            _reidentify(session, account, linked, actor, now)
        if account is None:
            account = _create(session, connection, linked, actor, now)
        else:
            _refresh(account, linked)
            if account.connection_id is not None and account.connection_id != connection.id:
                moved_from.add(account.connection_id)
        account.connection_id = connection.id
        account.is_active = True
    session.flush()
    return moved_from


def has_accounts(session: Session, connection: BankConnection) -> bool:
    return (
        session.scalars(
            select(BankAccount.id).where(
                BankAccount.tenant_id == connection.tenant_id,
                BankAccount.connection_id == connection.id,
            )
        ).first()
        is not None
    )


def _existing(
    session: Session, connection: BankConnection, provider_account_id: str
) -> BankAccount | None:
    return session.scalars(
        select(BankAccount).where(
            BankAccount.tenant_id == connection.tenant_id,
            BankAccount.source == AccountSource(connection.provider),
            BankAccount.provider_account_id == provider_account_id,
        )
    ).one_or_none()


def _reissued(
    session: Session, connection: BankConnection, linked: LinkedAccount, listed: set[str]
) -> BankAccount | None:
    """The tenant's account that `linked` is, under a new id (some banks issue new account ids
    on every reconnect): same institution (through its connection), IBAN and currency. Only if
    exactly one account fits, and its old id is not linked by this consent too."""
    iban = _iban(linked)
    if linked.details is None or iban is None:
        return None
    found = session.scalars(
        select(BankAccount)
        .join(BankConnection, BankConnection.id == BankAccount.connection_id)
        .where(
            BankAccount.tenant_id == connection.tenant_id,
            BankAccount.source == AccountSource(connection.provider),
            BankAccount.iban == iban,
            BankAccount.currency == linked.details.currency,
            BankConnection.tenant_id == connection.tenant_id,
            BankConnection.institution_id == connection.institution_id,
        )
    ).all()
    fits = [account for account in found if account.provider_account_id not in listed]
    return fits[0] if len(fits) == 1 else None


def _reidentify(
    session: Session, account: BankAccount, linked: LinkedAccount, actor: Actor, now: datetime
) -> None:
    """Move `account` to its new provider id; its rows, and so its transactions' hashes, stay."""
    before = account.provider_account_id
    account.provider_account_id = linked.provider_account_id
    if linked.details is not None:  # fetched for the unknown id, so the bank counted it
        _count_details(session, account, linked.details, now)
    record(
        session,
        tenant_id=account.tenant_id,
        actor=actor,
        action="bank_account.reidentified",
        object_type="bank_account",
        object_id=account.id,
        before={"provider_account_id": before},
        after={"provider_account_id": account.provider_account_id},
    )


def _iban(linked: LinkedAccount) -> str | None:
    details = linked.details
    return (details.iban if details else None) or linked.metadata.iban


def _count_details(
    session: Session, account: BankAccount, details: AccountDetails, now: datetime
) -> None:
    ledger.count_success(
        session,
        tenant_id=account.tenant_id,
        account_id=account.id,
        scope=ProviderCallScope.DETAILS,
        now=now,
        quota=details.quota,
    )


def _create(
    session: Session, connection: BankConnection, linked: LinkedAccount, actor: Actor, now: datetime
) -> BankAccount:
    details = linked.details
    if details is None:  # it was known when fetched, and is gone now
        raise Conflict(detail="the bank accounts changed meanwhile; complete the connection again")
    account = BankAccount(
        tenant_id=connection.tenant_id,
        connection_id=connection.id,
        source=AccountSource(connection.provider),
        provider_account_id=linked.provider_account_id,
        name=details.name,
        # Stored in full (reconciliation needs it); API responses and audit entries mask it.
        iban=_iban(linked),
        currency=details.currency,
        owner_name=details.owner_name or linked.metadata.owner_name,
    )
    session.add(account)
    session.flush()
    _count_details(session, account, details, now)
    record(
        session,
        tenant_id=connection.tenant_id,
        actor=actor,
        action="bank_account.linked",
        object_type="bank_account",
        object_id=account.id,
        after={
            "connection_id": str(connection.id),
            "name": account.name,
            "iban": mask_iban(account.iban),
            "currency": account.currency,
        },
    )
    return account


def _refresh(account: BankAccount, linked: LinkedAccount) -> None:
    metadata = linked.metadata
    account.iban = metadata.iban or account.iban
    account.owner_name = metadata.owner_name or account.owner_name
