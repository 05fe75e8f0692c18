"""Reach (触达): consent, campaigns, one contact budget across every channel, quiet hours and an outbox."""
