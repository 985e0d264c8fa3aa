"""The command line's error for bad input, in a module of its own so benches can raise it too."""


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit code 2."""
