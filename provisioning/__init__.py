"""cozystack-aws-tdg: the engine that plans, provisions and inspects the lab (no pytest here)."""
