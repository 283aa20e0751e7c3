"""A badge's columns come from one place, so no way in can forget one."""

from __future__ import annotations

from dataclasses import fields

import sqlalchemy as sa

from backpack.models import Badge
from backpack.services.badge_columns import VERIFIED_COPY_FIELDS, BadgeColumns

# Who owns the badge, where its class and images are, and the row's own bookkeeping: set by
# each way in (or the database), never by the award's columns.
NOT_AWARD_COLUMNS = {
    "id", "user_id", "badge_class_id", "image_id", "original_image_id", "created_at",
}  # fmt: skip


def test_every_column_of_a_badge_is_built_by_the_one_function() -> None:
    columns = {column.key for column in sa.inspect(Badge).columns}
    built = {field.name for field in fields(BadgeColumns)}
    assert columns - NOT_AWARD_COLUMNS == built


def test_a_verified_copy_replaces_all_but_whose_which_and_whether_accepted() -> None:
    built = {field.name for field in fields(BadgeColumns)}
    relationships = {"badge_class", "image", "original_image"}
    assert set(VERIFIED_COPY_FIELDS) == built - {"status", "fingerprint"} | relationships
