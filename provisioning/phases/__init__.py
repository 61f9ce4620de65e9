"""One module per lab phase: specs(topology) -> the phase's AWS resources in creation order."""
