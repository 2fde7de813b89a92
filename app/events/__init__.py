"""Events: the transactional outbox, subscriptions and their webhook delivery (issue 14)."""
