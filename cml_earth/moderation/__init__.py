"""Moderation: reports and notices, the review queue, statements of reasons and appeals."""
