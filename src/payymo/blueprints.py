"""Every blueprint the web app serves; importing them registers their API endpoints."""

from __future__ import annotations

from flask import Blueprint


def api_blueprints() -> list[Blueprint]:
    # Imported here, not at module level: view modules import the app's helpers.
    from payymo.api.docs import blueprint as docs  # noqa: PLC0415
    from payymo.audit.views import audit_bp  # noqa: PLC0415
    from payymo.auth.admin_views import api_keys_bp, invitations_bp, users_bp  # noqa: PLC0415
    from payymo.auth.views import auth_bp, me_bp  # noqa: PLC0415
    from payymo.banking.views import accounts_bp, transactions_bp  # noqa: PLC0415
    from payymo.events.views import notification_channels_bp, webhook_endpoints_bp  # noqa: PLC0415
    from payymo.health.views import blueprint as health  # noqa: PLC0415
    from payymo.integrations.views import integrations_bp  # noqa: PLC0415
    from payymo.invoicing.views import invoices_bp  # noqa: PLC0415
    from payymo.jobs.views import jobs_bp  # noqa: PLC0415
    from payymo.reconciliation.correction_views import corrections_bp  # noqa: PLC0415
    from payymo.reconciliation.views import (  # noqa: PLC0415
        decisions_bp,
        reconciliation_bp,
        review_bp,
    )
    from payymo.tenants.views import platform_bp, settings_bp, tenant_bp  # noqa: PLC0415
    from payymo.webhooks.views import inbound_webhooks_bp, receiver_bp  # noqa: PLC0415

    return [
        health,
        docs,
        auth_bp,
        me_bp,
        tenant_bp,
        settings_bp,
        users_bp,
        invitations_bp,
        api_keys_bp,
        accounts_bp,
        transactions_bp,
        invoices_bp,
        audit_bp,
        jobs_bp,
        integrations_bp,
        reconciliation_bp,
        review_bp,
        decisions_bp,
        corrections_bp,
        webhook_endpoints_bp,
        notification_channels_bp,
        platform_bp,
        inbound_webhooks_bp,
        receiver_bp,
    ]
