"""The builder of the hand-written reconciliation worlds (run it through `worlds/build.py`).

- `shops`, `specs`: what a world is described by (shops, business dates, orders).
- `orders`, `payouts`, `inventory`, `ledger`: what follows from the orders by the documented
  rules; `assemble.build` runs them in order into a `built.Built` world.
- `clean_worlds`, `mutations`, `catalogue`: the worlds themselves.
- `render`: a built world as files.
"""
