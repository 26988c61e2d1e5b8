"""obsgen: one service catalog in, everything a service needs to be observable out."""

__version__ = "0.1.0"
