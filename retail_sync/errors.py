"""The base of errors a user can act on: the CLI prints them as one line, never a traceback."""


class RetailSyncError(Exception):
    """A problem with input, configuration or a run that the message fully explains."""


class ConfigurationError(RetailSyncError):
    """A setting or credential is wrong: retrying cannot help, the named setting must change."""
