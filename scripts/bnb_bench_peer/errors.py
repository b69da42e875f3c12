"""The two kinds of problem the bridge reports before any work starts (exit 64 in bnb-bench)."""


class ConfigProblem(Exception):
    """A class or argument the implementation does not accept."""


class MissingLibrary(Exception):
    """The implementation's library cannot be imported in this interpreter."""
