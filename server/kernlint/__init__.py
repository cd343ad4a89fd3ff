"""kernlint: leak, lock, refcount and race checks for Linux kernel driver C code."""

__version__ = "0.1.0"
