"""One module per `tdg` subcommand, each with register(subparsers)."""
