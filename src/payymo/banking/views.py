"""Transaction API: bank accounts and transactions."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from payymo.api.context import Ctx
from payymo.api.registry import Limit, endpoint, json_response
from payymo.auth.principal import Permission
from payymo.banking import services
from payymo.banking.schemas import (
    BankAccountList,
    BankAccountOut,
    RevealQuery,
    TransactionDetailOut,
    TransactionFilters,
    TransactionOut,
    TransactionPage,
    TransactionQuery,
    decision_out,
    transaction_fields,
)
from payymo.errors import Forbidden

accounts_bp = Blueprint("bank_accounts", __name__, url_prefix="/api/v1/bank-accounts")
transactions_bp = Blueprint("transactions", __name__, url_prefix="/api/v1/transactions")


@endpoint(
    accounts_bp,
    "GET",
    "",
    summary="List bank accounts",
    permission=Permission.READ,
    response=BankAccountList,
)
def list_accounts(ctx: Ctx) -> BankAccountList:
    found = services.list_accounts(ctx.services, tenant_id=ctx.caller.tenant_id)
    return BankAccountList(data=[BankAccountOut.of(a) for a in found])


@endpoint(
    accounts_bp,
    "GET",
    "/<uuid:account_id>",
    summary="One bank account",
    permission=Permission.READ,
    query=RevealQuery,
    response=BankAccountOut,
    resource="bank_account",
)
def get_account(ctx: Ctx, account_id: uuid.UUID, query: RevealQuery) -> BankAccountOut:
    if query.reveal and not ctx.caller.can(Permission.ADMIN):
        raise Forbidden(detail="only admins can see full account numbers")
    account = services.get_account(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        account_id=account_id,
        reveal_by=ctx.caller.actor if query.reveal else None,
    )
    return BankAccountOut.of(account, reveal=query.reveal)


@endpoint(
    transactions_bp,
    "GET",
    "",
    summary="List transactions (keyset pages)",
    permission=Permission.READ,
    query=TransactionQuery,
    response=TransactionPage,
    description="Newest first. Amount filters are decimal strings in `currency` "
    "(two decimals assumed when no currency is given).",
)
def list_transactions(ctx: Ctx, query: TransactionQuery) -> Response:
    rows, cursor = services.list_transactions(
        ctx.services, tenant_id=ctx.caller.tenant_id, filters=query, page=query
    )
    return json_response({"data": [transaction_fields(tx) for tx in rows], "next_cursor": cursor})


@endpoint(
    transactions_bp,
    "GET",
    "/export.csv",
    summary="Export transactions as CSV",
    permission=Permission.READ,
    query=TransactionFilters,
    produces="text/csv",
    limit=Limit.EXPORTS,
)
def export_transactions(ctx: Ctx, query: TransactionFilters) -> Response:
    lines = services.export_csv(ctx.services, tenant_id=ctx.caller.tenant_id, filters=query)
    # The generator needs no request context: it holds the app's services itself.
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="transactions.csv"'
    return response


@endpoint(
    transactions_bp,
    "GET",
    "/<uuid:transaction_id>",
    summary="One transaction with its decision and reasons",
    permission=Permission.READ,
    response=TransactionDetailOut,
    resource="transaction",
)
def get_transaction(ctx: Ctx, transaction_id: uuid.UUID) -> TransactionDetailOut:
    tx, decision = services.get_transaction(
        ctx.services, tenant_id=ctx.caller.tenant_id, transaction_id=transaction_id
    )
    base = TransactionOut.of(tx)
    return TransactionDetailOut(
        **base.model_dump(),
        bank_transaction_code=tx.bank_transaction_code,
        decision=decision_out(*decision) if decision else None,
    )
