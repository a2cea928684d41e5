"""Roles within a tenant, apart from the models so that the command line can offer them
without loading SQLAlchemy."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    ACCOUNTANT = "accountant"
    VIEWER = "viewer"
