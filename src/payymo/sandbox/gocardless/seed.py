"""The seeded starting state: sandbox accounts holding the world's bank payments."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from payymo.sandbox.gocardless.catalogue import SANDBOX_ID, find_institution
from payymo.sandbox.gocardless.state import Account, Config, Data, Transaction
from payymo.sandbox.world import BankPayment, generate_world, iban

OWNER_NAME = "Demo Hosting Ltd"
CENT = Decimal("0.01")
OPENING_BALANCES = {
    "EUR": Decimal("12500.00"),
    "GBP": Decimal("3200.00"),
    "USD": Decimal("2000.00"),
}
# US banks have no IBANs; a USD account at a European bank is an Irish multi-currency one.
IBAN_COUNTRIES = {"EUR": "DE", "GBP": "GB", "USD": "IE"}
ARRAY_REMITTANCE_EVERY = 4  # every 4th transaction arrives only as an unstructured array


def seed_data(config: Config) -> Data:
    """The state `create_app` starts in and `/_sim/reset` returns to."""
    world = generate_world(config.seed, today=config.world_day)
    rng = random.Random(f"gocardless:{config.seed}")  # noqa: S311 - reproducible ids, not secrets
    currencies = ["EUR", "GBP"]
    if any(p.currency == "USD" for p in world.bank_payments):
        currencies.append("USD")
    opened = datetime.combine(world.today - timedelta(days=400), time(9), UTC)
    accounts = [_account(rng, currency, opened) for currency in currencies]
    for index, payment in enumerate(world.bank_payments):
        account = next(a for a in accounts if a.currency == payment.currency)
        account.transactions.append(_transaction(rng, payment, index))
    return Data(accounts={a.id: a for a in accounts})


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


def _account(
    rng: random.Random, currency: str, opened: datetime, *, country: str | None = None
) -> Account:
    return Account(
        id=random_uuid(rng),
        created=opened,
        institution_id=SANDBOX_ID,
        iban=iban(rng, country or IBAN_COUNTRIES[currency]),
        currency=currency,
        owner_name=OWNER_NAME,
        name=f"Business Account {currency}",
        opening_balance=OPENING_BALANCES[currency],
    )


def _transaction(rng: random.Random, payment: BankPayment, index: int) -> Transaction:
    return Transaction(
        internal_id=rng.getrandbits(128).to_bytes(16, "big").hex(),
        transaction_id=None if payment.pending else payment.transaction_id,
        booking_date=None if payment.pending else payment.booking_date,
        value_date=payment.booking_date,
        amount=money(payment.amount),
        currency=payment.currency,
        counterparty_name=payment.counterparty_name,
        counterparty_iban=payment.counterparty_iban,
        remittance=payment.remittance,
        remittance_as_array=index % ARRAY_REMITTANCE_EVERY == ARRAY_REMITTANCE_EVERY - 1,
    )


def institution_accounts(data: Data, config: Config, institution_id: str) -> list[Account]:
    """The accounts a consent at `institution_id` links: always the same ones, made once."""
    found = [a for a in data.accounts.values() if a.institution_id == institution_id]
    if found:
        return found
    rng = random.Random(f"gocardless:{config.seed}:{institution_id}")  # noqa: S311 - as above
    opened = datetime.combine(config.world_day - timedelta(days=400), time(9), UTC)
    institution = find_institution(institution_id)
    home = institution.countries[0] if institution else "DE"
    currency = "GBP" if home == "GB" else "EUR"
    account = _account(
        rng, currency, opened, country=home if home in IBAN_COUNTRIES.values() else None
    )
    account.institution_id = institution_id
    data.accounts[account.id] = account
    return [account]
