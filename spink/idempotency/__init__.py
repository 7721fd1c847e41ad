"""Requests sent twice make one record: a key per rendered create form, and the
`Idempotency-Key` header on API POSTs."""
