"""The matching engine: a pure function from invoices, transactions and rules to decisions.

No I/O, no database, no clock: the same input always gives the same decisions, in any order.
Every decision carries its reasons, including why runner-up candidates lost.
"""

from payymo.reconciliation.engine.decide import decide_all
from payymo.reconciliation.engine.types import (
    Allocation,
    Decision,
    EngineInvoice,
    EngineTransaction,
    Reason,
    Rules,
    Status,
)

__all__ = [
    "Allocation",
    "Decision",
    "EngineInvoice",
    "EngineTransaction",
    "Reason",
    "Rules",
    "Status",
    "decide_all",
]
