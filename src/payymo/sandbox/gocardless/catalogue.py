"""The institutions the simulator knows: the sandbox bank plus a few real-looking ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SANDBOX_ID = "SANDBOXFINANCE_SFIN0000"
EEA_AND_GB = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IS", "IE",
    "IT", "LV", "LI", "LT", "LU", "MT", "NL", "NO", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "GB",
)  # fmt: skip
ALL_FEATURES = (
    "account_selection",
    "business_accounts",
    "card_accounts",
    "corporate_accounts",
    "pending_transactions",
    "private_accounts",
    "separate_continuous_history_consent",
)
LOGO_BASE = "https://cdn-logos.gocardless.com/ais/"


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    bic: str
    countries: tuple[str, ...]
    transaction_total_days: int = 90
    max_access_valid_for_days: int = 180
    supported_features: tuple[str, ...] = ()
    supported_payments: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The list entry: both day counts are strings, as the real API sends them."""
        return {
            "id": self.id,
            "name": self.name,
            "bic": self.bic,
            "transaction_total_days": str(self.transaction_total_days),
            "max_access_valid_for_days": str(self.max_access_valid_for_days),
            "countries": list(self.countries),
            "logo": f"{LOGO_BASE}{self.id}.png",
        }

    def detail(self) -> dict[str, Any]:
        payments = (
            {"single-payment": list(self.supported_payments)} if self.supported_payments else {}
        )
        return {
            **self.summary(),
            "supported_payments": payments,
            "supported_features": list(self.supported_features),
            "identification_codes": [],
        }


INSTITUTIONS: tuple[Institution, ...] = (
    Institution(
        SANDBOX_ID,
        "Sandbox Finance",
        "SFIN0000",
        EEA_AND_GB,
        supported_features=ALL_FEATURES,
        supported_payments=("SCT",),
    ),
    Institution(
        "N26_NTSBDEB1",
        "N26 Bank",
        "NTSBDEB1",
        EEA_AND_GB,
        max_access_valid_for_days=90,
        supported_features=("account_selection", "business_accounts", "private_accounts"),
        supported_payments=("SCT", "ISCT"),
    ),
    Institution(
        "REVOLUT_REVOGB21",
        "Revolut",
        "REVOGB21",
        ("GB", "IE", "DE", "FR", "ES", "NL"),
        transaction_total_days=730,
        supported_features=("business_accounts", "pending_transactions", "private_accounts"),
    ),
    Institution(
        "MONZO_MONZGB2L",
        "Monzo",
        "MONZGB2L",
        ("GB",),
        transaction_total_days=540,
        max_access_valid_for_days=90,
        supported_features=("pending_transactions", "private_accounts"),
    ),
    Institution(
        "BARCLAYS_BUKBGB22",
        "Barclays Business",
        "BUKBGB22",
        ("GB",),
        transaction_total_days=730,
        supported_features=("business_accounts", "corporate_accounts"),
    ),
    Institution(
        "ING_INGBNL2A",
        "ING",
        "INGBNL2A",
        ("NL",),
        transaction_total_days=730,
        supported_features=("business_accounts", "private_accounts"),
    ),
    Institution(
        "DEUTSCHE_BANK_DEUTDEFF",
        "Deutsche Bank",
        "DEUTDEFF",
        ("DE",),
        transaction_total_days=540,
        supported_features=("business_accounts", "private_accounts"),
    ),
)


def find_institution(institution_id: str) -> Institution | None:
    return next((i for i in INSTITUTIONS if i.id == institution_id), None)
