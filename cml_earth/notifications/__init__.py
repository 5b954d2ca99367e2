"""In-app notifications and the mails (each event or digests) members ask for."""
