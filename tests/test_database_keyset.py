"""Walking rows a batch at a time: each matching row once, in id order, across batches."""

from __future__ import annotations

from flask import Flask

from backpack.database.keyset import in_id_batches
from backpack.extensions import db
from backpack.models import User


def test_every_matching_row_comes_once_in_id_order_across_batches(app: Flask) -> None:
    with app.app_context():
        users = [User(name=f"user {number}", password_hash="x") for number in range(7)]
        db.session.add_all(users)
        db.session.commit()
        wanted = [user.id for user in users if user.name != "user 3"]
        after: list[int] = []
        walked = [
            user.id
            for user in in_id_batches(
                User,
                User.name != "user 3",
                batch=2,
                after_batch=lambda: after.append(len(after)),
            )
        ]
        assert walked == sorted(wanted)
        assert len(after) == 3  # batches of 2, 2 and 2; the fourth query finds nothing
        assert list(in_id_batches(User, User.name == "nobody")) == []
