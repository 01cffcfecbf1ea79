"""onestop: the online workflow of a one-stop office (cơ chế một cửa), embeddable in a portal."""

from onestop import errors

__all__ = ["errors"]
