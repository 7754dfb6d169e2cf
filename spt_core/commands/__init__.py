"""The ``spt`` subcommands, one module per command group; each has ``register(commands)``."""
