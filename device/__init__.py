"""massage-timer: a hands-free guided facial-massage timer for a Raspberry Pi."""

__version__ = "0.1.0"
