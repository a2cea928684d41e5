"""Events Payymo tells tenants about (outbound webhooks and notifications)."""
