"""The command line: the click group, shared options, the console, the demo and one module per command."""
