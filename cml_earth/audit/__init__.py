"""The audit trail: who did what to whose data, and when (GDPR Art. 33/34)."""
