"""AWS side of the engine: one client factory, one module per resource kind, executor and ledger."""
