"""Record a run into a self-describing bundle, and replay a run from one (see README "Record and replay")."""
