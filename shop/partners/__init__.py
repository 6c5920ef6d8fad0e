"""Apps that embed the shop: attribution, clicks, the commission ledger, dashboard, payouts."""
