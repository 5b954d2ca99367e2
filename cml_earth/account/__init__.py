"""Account settings: preferences, devices, email, password, consent, export and erasure."""
