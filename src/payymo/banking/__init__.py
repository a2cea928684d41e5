"""Banking: Open Banking connections (requisitions), bank accounts and their transactions."""
