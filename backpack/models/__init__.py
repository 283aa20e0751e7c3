"""The database models. Importing this package registers every table on Base.metadata."""

from backpack.models.accounts import EmailAddress, User
from backpack.models.badges import Badge, BadgeClass, Image, Issuer
from backpack.models.base import Base

__all__ = ["Badge", "BadgeClass", "Base", "EmailAddress", "Image", "Issuer", "User"]
