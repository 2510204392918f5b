"""callcenter: a daemon beside Asterisk that turns a call center's service standards into live software."""

__version__ = "0.1.0"
