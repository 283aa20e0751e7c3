"""The database models. Importing this package registers every table on Base.metadata."""

from backpack.models.accounts import EmailAddress, LoginSession, User
from backpack.models.badges import Badge, BadgeClass, Image, Issuer
from backpack.models.base import Base
from backpack.models.collections import BadgeShare, Collection, CollectionItem, RetiredShareToken
from backpack.models.imports import ImportedRecord, ImportJob
from backpack.models.oauth import (
    BackpackConnectGrant,
    OAuthAuthorizationCode,
    OAuthClient,
    OAuthToken,
    PersonalAccessToken,
)
from backpack.models.remote_backpacks import RemoteClient, RemoteGrant

__all__ = [
    "BackpackConnectGrant",
    "Badge",
    "BadgeClass",
    "BadgeShare",
    "Base",
    "Collection",
    "CollectionItem",
    "EmailAddress",
    "Image",
    "ImportJob",
    "ImportedRecord",
    "Issuer",
    "LoginSession",
    "OAuthAuthorizationCode",
    "OAuthClient",
    "OAuthToken",
    "PersonalAccessToken",
    "RemoteClient",
    "RemoteGrant",
    "RetiredShareToken",
    "User",
]
