"""One module per hfguard subcommand, each with main(argv) -> int."""
