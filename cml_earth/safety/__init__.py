"""Member safety: spotting side effects, self-harm and personal details in what members write,
and the crisis contacts and medicines regulators shown to them.

The word lists are data (``data/*.json``), not code, so they can grow without a code change.
"""
