"""The tables of a Mozilla Backpack database (mozilla-backpack.md section 1), as read here.

Only the columns the import uses are declared; the live database has more. The same
declarations read MariaDB/MySQL and the SQLite staging copy a mysqldump is loaded into.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

user = sa.Table(
    "user",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("email", sa.String(255)),
    sa.Column("email_is_verified", sa.Boolean),
    sa.Column("additional_email_1", sa.String(255)),
    sa.Column("additional_email_1_is_verified", sa.Boolean),
    sa.Column("additional_email_2", sa.String(255)),
    sa.Column("additional_email_2_is_verified", sa.Boolean),
    sa.Column("password", sa.Text),
    sa.Column("created_at", sa.BigInteger),
)

badge = sa.Table(
    "badge",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("awarded_to_email_address", sa.String(255)),
    sa.Column("endpoint", sa.Text),
    sa.Column("signature", sa.Text),
    sa.Column("image_path", sa.String(255)),
    sa.Column("body", sa.LargeBinary),
    sa.Column("body_hash", sa.String(255)),
    sa.Column("validated_on", sa.DateTime),
    sa.Column("public_path", sa.String(255)),
)

badge_image = sa.Table(
    "badge_image",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("badge_hash", sa.String(255)),
    sa.Column("image_data", sa.LargeBinary),
    sa.Column("baked", sa.Boolean),
)

group = sa.Table(
    "group",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("name", sa.String(255)),
    sa.Column("url", sa.String(255)),
    sa.Column("public", sa.Boolean),
    sa.Column("badges", sa.LargeBinary),
)

portfolio = sa.Table(
    "portfolio",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("group_id", sa.BigInteger),
    sa.Column("url", sa.String(255)),
    sa.Column("title", sa.String(128)),
    sa.Column("subtitle", sa.String(128)),
    sa.Column("preamble", sa.Text),
    sa.Column("stories", sa.LargeBinary),
)

# Backpack Connect grants (section 1.6). Every Mozilla database has the table; a copy
# without it is still imported, with no grants.
bpc_session = sa.Table(
    "bpc_session",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("access_time", sa.BigInteger),  # unix seconds
    sa.Column("access_token", sa.String(255)),
    sa.Column("refresh_token", sa.String(255)),
    sa.Column("permissions", sa.String(255)),  # comma-joined; only `issue` exists
    sa.Column("origin", sa.String(255)),  # protocol//host of the issuer's callback
)

REQUIRED_TABLES = {t.name: t for t in (user, badge, badge_image, group, portfolio)}
TABLES = REQUIRED_TABLES | {bpc_session.name: bpc_session}
