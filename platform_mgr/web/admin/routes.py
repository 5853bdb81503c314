"""The /admin blueprint with every view of the package registered on it."""
from . import institutions, platforms, sign_in, users  # noqa: F401  (their views register on bp)
from .blueprint import bp  # noqa: F401
