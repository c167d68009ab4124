"""The `mapkit` command line: a typer app assembled from one module per command group."""
