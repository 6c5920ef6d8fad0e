"""The outbox: messages written in the same transaction as the change they report, delivered
afterwards by `flask shop worker` (mail now, Stripe refunds, signed webhooks next)."""
