"""The pipeline's batches: many units written together, as batches of one would write them.

A whole Mozilla instance is written a batch at a time through the services' bulk functions
(`import_accounts`, `import_addresses`, `receive_unchecked_many`, `import_collections`...).
These tests hold a batch to what batches of one write: the same rows result, a refused unit
costs no other, and a batch that fails in the database is redone as batches of one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from backpack.database import planner_statistics
from backpack.database.row_ids import CatalogueIds
from backpack.extensions import db
from backpack.models import (
    Badge,
    EmailAddress,
    ImportedRecord,
    User,
)
from backpack.services import accounts, badges, emails
from backpack.services.badge_catalogue import store_badge_classes
from backpack.services.bulk_intake import StoredBadge, UncheckedBadge, receive_unchecked_many
from backpack.services.errors import AddressTaken
from backpack.services.unchecked_intake import receive_unchecked
from importers import mozilla_instance, mozilla_records
from importers import mozilla_schema as schema
from importers.pipeline import (
    BATCH_ATTEMPTS,
    BatchWriter,
    ImporterError,
    Outcome,
    Pipeline,
    RecordRefused,
    Unit,
)
from importers.report import ImportReport
from tests.support import mozilla_instance as generated
from tests.support.import_snapshot import snapshot
from tests.support.mozilla import body_0_5, body_1_0_hosted
from tests.support.mozilla_units import instance_units


@pytest.fixture
def mozilla_source(tmp_path: Path) -> Iterator[sa.Engine]:
    """The small generated Mozilla instance, in SQLite (the tables are the same)."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mozilla.sqlite3'}")
    schema.metadata.create_all(engine)
    generated.fill(
        engine.url.render_as_string(hide_password=False), generated.table_rows(generated.small())
    )
    yield engine
    engine.dispose()


def import_instance(source: sa.Engine, *, batch: int) -> ImportReport:
    pipeline = Pipeline("mozilla:test", ImportReport(), batch=batch)
    return pipeline.run(instance_units(source, pipeline))


def test_batches_write_exactly_what_batches_of_one_write(
    app_factory: Callable[..., Flask],
    tmp_path: Path,
    mozilla_source: sa.Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reference = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'reference.db'}")
    with reference.app_context():
        db.create_all()
        expected_report = import_instance(mozilla_source, batch=1)
        expected = snapshot()
    app = app_factory()
    with app.app_context(), caplog.at_level(logging.INFO, logger="importers.pipeline"):
        report = import_instance(mozilla_source, batch=100)
        got = snapshot()
    assert not [r for r in caplog.records if "one at a time" in r.getMessage()]
    assert report.to_json() == expected_report.to_json()
    assert got == expected
    assert len(got["badges"]) == 11
    assert len(got["collections"]) == 4


def test_small_batches_also_write_the_same(
    app: Flask, mozilla_source: sa.Engine, tmp_path: Path
) -> None:
    """Batches of two cut users from their addresses and groups from each other."""
    with app.app_context():
        report = import_instance(mozilla_source, batch=2)
        assert (report.imported["users"], report.imported["badges"]) == (5, 11)
        assert report.imported["collections"] == 4
        assert sum(report.failed.values()) == 2
        again = import_instance(mozilla_source, batch=2)
        assert sum(again.imported.values()) == 0
        assert again.skipped["badges"] == 11


def test_which_account_gets_a_contested_address_does_not_depend_on_batching(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    """Ann's additional address is Bob's own: Bob's account comes first, whatever the size."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'contested.sqlite3'}")
    schema.metadata.create_all(engine)
    ann = generated.user_row(1, "ann@example.org")
    ann |= {"additional_email_1": "bob@example.org", "additional_email_1_is_verified": True}
    bob = generated.user_row(2, "bob@example.org")
    url = engine.url.render_as_string(hide_password=False)
    generated.fill(url, [("user", [ann, bob])])
    outcomes = []
    for batch in (1, 100):
        app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / f'b{batch}.db'}")
        with app.app_context():
            db.create_all()
            report = import_instance(engine, batch=batch)
            outcomes.append((report.to_json()["first_failures"], snapshot()["users"]))
    engine.dispose()
    assert outcomes[0] == outcomes[1]
    [failure] = outcomes[0][0]
    assert failure["key"] == "user:1:email:1"
    assert "already verified on another account" in failure["reason"]


def test_badges_of_an_account_deleted_since_are_refused_with_that_reason(
    app: Flask, mozilla_source: sa.Engine
) -> None:
    with app.app_context():
        import_instance(mozilla_source, batch=100)
        ann = db.session.scalar(sa.select(EmailAddress).filter_by(normalised=generated.ANN))
        assert ann is not None
        db.session.delete(ann.user)
        db.session.commit()
        rows = generated.badge_rows(1, body_0_5(50, generated.ANN))
        generated.fill(
            mozilla_source.url.render_as_string(hide_password=False),
            [("badge", [rows[0]]), ("badge_image", [rows[1]])],
        )
        report = import_instance(mozilla_source, batch=100)
        reasons = {f["key"]: f["reason"] for f in report.first_failures}
        assert reasons["badge:50"] == "its owner (Mozilla user 1) was not imported"


def add_user(name: str) -> Outcome:
    user = User(name=name, password_hash="!")
    db.session.add(user)
    db.session.flush()
    return Outcome(user.id)


def user_units(writer: BatchWriter, count: int) -> list[Unit]:
    return [Unit("users", f"u{n}", writer=writer, record=f"user {n}") for n in range(count)]


class FailingWriter:
    """Writes half of any batch of several, then meets a constraint it could not foresee;
    writes a batch of one, unless its record is a bug (which it meets on every try)."""

    def __init__(self) -> None:
        self.rolled_back = 0
        self.sizes: list[int] = []

    def write(self, units: Sequence[Unit]) -> list[Outcome | ImporterError]:
        self.sizes.append(len(units))
        if len(units) > 1:
            db.session.add(User(name="half a batch", password_hash="!"))
            db.session.flush()
            raise sa.exc.IntegrityError("INSERT INTO ...", {}, Exception("raced by another"))
        if units[0].record == "a bug":
            add_user("half a unit")
            raise KeyError("a bug")
        return [add_user(units[0].record)]

    def rollback(self) -> None:
        self.rolled_back += 1


def test_a_batch_that_fails_in_the_database_is_written_as_batches_of_one(app: Flask) -> None:
    writer = FailingWriter()
    with app.app_context():
        report = Pipeline("test", ImportReport(), batch=10).run(user_units(writer, 5))
        assert report.imported["users"] == 5
        assert writer.rolled_back == BATCH_ATTEMPTS
        assert writer.sizes == [5] * BATCH_ATTEMPTS + [1] * 5  # through the same writer
        names = set(db.session.scalars(sa.select(User.name)))
        assert names == {f"user {n}" for n in range(5)}  # nothing of the failed batch
        assert db.session.scalar(sa.select(sa.func.count(ImportedRecord.id))) == 5


def test_a_unit_that_fails_even_alone_is_listed_and_costs_no_other(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    writer = FailingWriter()
    units = user_units(writer, 3)
    units[1] = dataclasses.replace(units[1], record="a bug", label="the buggy one")
    with app.app_context(), caplog.at_level(logging.ERROR, logger="importers.pipeline"):
        report = Pipeline("test", ImportReport(), batch=10).run(units)
        assert (report.imported["users"], report.failed["users"]) == (2, 1)
        [failure] = report.first_failures
        assert (failure["key"], failure["label"]) == ("u1", "the buggy one")
        assert failure["reason"] == "an internal error (logged)"
        names = set(db.session.scalars(sa.select(User.name)))
        assert names == {"user 0", "user 2"}  # nothing of the failed unit
    assert "Import of users u1 failed unexpectedly" in caplog.text
    # Tried again next run, as every failed unit is.
    with app.app_context():
        units[1] = dataclasses.replace(units[1], record="user 1")
        again = Pipeline("test", ImportReport(), batch=10).run(units)
        assert (again.imported["users"], again.skipped["users"]) == (1, 2)


class RacedOnceWriter:
    """Meets a row another worker added meanwhile on its first try; finds it on the second."""

    def __init__(self) -> None:
        self.tries = 0

    def write(self, units: Sequence[Unit]) -> list[Outcome | ImporterError]:
        self.tries += 1
        if self.tries == 1:
            db.session.add(User(name="first try", password_hash="!"))
            db.session.flush()
            raise sa.exc.IntegrityError("INSERT INTO ...", {}, Exception("raced"))
        return [add_user(unit.record) for unit in units]

    def rollback(self) -> None:
        pass


def test_a_batch_raced_by_another_worker_is_tried_again_as_a_batch(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    writer = RacedOnceWriter()
    with app.app_context(), caplog.at_level(logging.INFO, logger="importers.pipeline"):
        report = Pipeline("test", ImportReport(), batch=10).run(user_units(writer, 5))
        assert report.imported["users"] == 5
        assert writer.tries == 2
        names = set(db.session.scalars(sa.select(User.name)))
        assert names == {f"user {n}" for n in range(5)}  # nothing of the first try
    assert "try 1" in caplog.text
    assert "one at a time" not in caplog.text


class RefusingWriter:
    """Writes every unit but the one its source cannot give."""

    def write(self, units: Sequence[Unit]) -> list[Outcome | ImporterError]:
        results: list[Outcome | ImporterError] = []
        for unit in units:
            if unit.record == "bad":
                results.append(RecordRefused("its body is not JSON"))
            else:
                results.append(add_user(unit.record))
        return results

    def rollback(self) -> None:
        pass


def test_a_refused_unit_costs_no_other_and_is_tried_again_next_run(app: Flask) -> None:
    writer = RefusingWriter()

    def units(bad: str) -> list[Unit]:
        return [
            Unit("users", f"u{n}", writer=writer, record=bad if n == 2 else f"user {n}")
            for n in range(4)
        ]

    with app.app_context():
        first = Pipeline("test", ImportReport(), batch=10).run(units("bad"))
        assert (first.imported["users"], first.failed["users"]) == (3, 1)
        assert first.first_failures[0]["key"] == "u2"
        assert first.first_failures[0]["reason"] == "its body is not JSON"
        second = Pipeline("test", ImportReport(), batch=10).run(units("fixed"))
        assert (second.imported["users"], second.skipped["users"]) == (1, 3)


def test_a_key_twice_in_one_batch_is_written_once(app: Flask) -> None:
    writer = RefusingWriter()
    units = [Unit("users", "same", writer=writer, record=f"user {n}") for n in range(2)]
    with app.app_context():
        report = Pipeline("test", ImportReport(), batch=10).run(units)
        assert (report.imported["users"], report.skipped["users"]) == (1, 1)
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_one_address_twice_in_a_batch_of_accounts(app: Flask) -> None:
    with app.app_context():
        results = accounts.import_accounts(
            [
                accounts.ImportedAccount("ann@example.org", "sha1$salt$digest", verified=True),
                accounts.ImportedAccount("Ann@Example.org", "$2a$04$y", verified=True),
                accounts.ImportedAccount("bob@example.org", "!", verified=False),
                accounts.ImportedAccount("bob@example.org", "!", verified=False),
                accounts.ImportedAccount("not an address", "!", verified=True),
                # Only Mozilla's unanchored check took it; its owner logged in with it.
                accounts.ImportedAccount("ivy..dots@example.org", "!", verified=True),
            ]
        )
        assert isinstance(results[0], int)
        assert isinstance(results[1], AddressTaken)
        # Unverified, an address may sit on two accounts, as on Mozilla and as one at a time.
        assert isinstance(results[2], int)
        assert isinstance(results[3], int)
        assert "not an email address" in getattr(results[4], "message", "")
        assert isinstance(results[5], int)
        ann = db.session.get(User, results[0])
        assert ann is not None
        assert ann.password_hash == "!"  # not a bcrypt hash: the password is to be reset
        assert [(e.is_verified, e.is_primary) for e in ann.emails] == [(True, True)]


def test_addresses_added_in_a_batch_keep_the_rules_of_add_email(app: Flask) -> None:
    with app.app_context():
        ann, bob = accounts.import_accounts(
            [
                accounts.ImportedAccount("ann@example.org", "!", verified=True),
                accounts.ImportedAccount("bob@example.org", "!", verified=False),
            ]
        )
        assert isinstance(ann, int)
        assert isinstance(bob, int)
        results = emails.import_addresses(
            [
                emails.NewAddress(ann, "ann@school.example.edu", True),
                emails.NewAddress(bob, "ann@school.example.edu", False),  # verified on Ann's
                emails.NewAddress(ann, "ANN@example.org", True),  # Ann has it already
                emails.NewAddress(bob, "bob@work.example.com", True),
            ]
        )
        assert isinstance(results[0], int)
        assert isinstance(results[1], AddressTaken)
        assert results[2] is None
        assert isinstance(results[3], int)
        bob_user = db.session.get(User, bob)
        assert bob_user is not None
        held = {e.normalised: (e.is_verified, e.is_primary) for e in bob_user.emails}
        # Bob's first verified address becomes his primary, as mark_verified makes it.
        assert held == {"bob@example.org": (False, False), "bob@work.example.com": (True, True)}


def test_the_same_badge_twice_in_a_batch_is_stored_once(app: Flask) -> None:
    badge = body_0_5(1, "ann@example.org")
    with app.app_context():
        [ann] = accounts.import_accounts(
            [accounts.ImportedAccount("ann@example.org", "!", verified=True)]
        )
        assert isinstance(ann, int)
        unchecked = UncheckedBadge(ann, badge.body, hosted_url=badge.endpoint)
        first, second, refused = receive_unchecked_many(
            [unchecked, unchecked, dataclasses.replace(unchecked, payload="{broken")],
            CatalogueIds(),
        )
        assert isinstance(first, StoredBadge)
        assert first.created
        assert second == StoredBadge(first.badge_id, created=False, status="accepted")
        assert not isinstance(refused, StoredBadge)
        [again] = receive_unchecked_many([unchecked], CatalogueIds())
        assert again == StoredBadge(first.badge_id, created=False, status="accepted")
        assert db.session.scalar(sa.select(sa.func.count(Badge.id))) == 1


def test_a_badge_class_deleted_between_batches_is_stored_again(app: Flask) -> None:
    """A badge imported, deleted with its orphaned class, and imported again gets its own
    class back, not whatever row took the old id (SQLite hands it to the next new row).
    Each batch looks its shared rows up afresh (a new CatalogueIds per batch)."""
    first = second = body_0_5(1, "ann@example.org")  # imported, deleted, imported again
    with app.app_context():
        [ann] = accounts.import_accounts(
            [accounts.ImportedAccount("ann@example.org", "!", verified=True)]
        )
        assert isinstance(ann, int)
        [stored] = receive_unchecked_many(
            [UncheckedBadge(ann, first.body, hosted_url=first.endpoint)], CatalogueIds()
        )
        assert isinstance(stored, StoredBadge)
        badge = db.session.get(Badge, stored.badge_id)
        assert badge is not None
        name = badge.name
        badges.delete_badge(badge)  # its badge class goes with it, as an orphan
        other = {"id": "https://other.example/classes/9", "name": "Another", "issuer": {}}
        store_badge_classes([other], CatalogueIds())
        [again] = receive_unchecked_many(
            [UncheckedBadge(ann, second.body, hosted_url=second.endpoint)], CatalogueIds()
        )
        assert isinstance(again, StoredBadge)
        renewed = db.session.get(Badge, again.badge_id)
        assert renewed is not None
        assert renewed.name == name


def test_statistics_are_refreshed_as_each_kind_doubles(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        tables = {planner_statistics.RECORD_TABLE}.union(
            *planner_statistics.TABLES_BY_KIND.values()
        )
        planner_statistics.refresh(sorted(tables))  # runs on this database
    refreshed: list[list[str]] = []
    monkeypatch.setattr(planner_statistics, "refresh", lambda tables: refreshed.append(tables))
    keeper = planner_statistics.StatisticsKeeper(first=100)
    for users in (50, 100, 150, 199, 200, 400):
        keeper.written({"users": users})
    assert len(refreshed) == 3  # at 100, 200 and 400
    assert "user" in refreshed[0]
    assert "imported_record" in refreshed[0]
    assert "badge" not in refreshed[0]
    keeper.written({"users": 400, "badges": 100})
    assert "badge" in refreshed[-1]
    assert "user" not in refreshed[-1]
    # Large tables are left to autovacuum: their plans no longer change.
    before = len(refreshed)
    for count in range(200, 10_000_000, 1000):
        keeper.written({"badges": count})
    assert len(refreshed) - before <= 10
    # One of three workers sharing an import out counts for all three.
    refreshed.clear()
    share = planner_statistics.StatisticsKeeper(first=300, parts=3)
    for users in (50, 99, 100, 200):
        share.written({"users": users})
    assert len(refreshed) == 2  # at 300 and 600 rows in all


def test_groups_meet_their_portfolios_without_the_source_joining_them(tmp_path: Path) -> None:
    """Read apart and merged in order: a group without one, a group with two (the newest,
    which Mozilla showed, stands), portfolios of groups that are gone or of none, and
    another shard's groups."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'groups.sqlite3'}")
    schema.metadata.create_all(engine)
    groups = [
        {"id": n, "user_id": n, "name": f"g{n}", "url": None, "public": False, "badges": b"[]"}
        for n in (1, 2, 3, 4, 5, 6)
    ]

    def portfolio(number: int, group: int | None) -> dict[str, Any]:
        texts = {"subtitle": None, "preamble": None, "stories": None, "url": None}
        return {"id": number, "group_id": group, "title": f"p{number}", **texts}

    portfolios = [portfolio(9, 2), portfolio(3, 2), portfolio(4, 4), portfolio(5, 7)]
    portfolios += [portfolio(6, None), portfolio(8, 6)]
    generated.fill(
        engine.url.render_as_string(hide_password=False),
        [("group", groups), ("portfolio", portfolios)],
    )
    read = mozilla_instance._groups_with_portfolios
    titles = {g["id"]: g["title"] for g in read(engine, mozilla_instance.EVERYTHING)}
    assert titles == {1: None, 2: "p9", 3: None, 4: "p4", 5: None, 6: "p8"}
    even = {g["id"]: g["title"] for g in read(engine, mozilla_instance.Shard(0, 2))}
    assert even == {2: "p9", 4: "p4", 6: "p8"}
    engine.dispose()


def test_nul_characters_leave_names_but_refuse_keys_and_bodies() -> None:
    assert mozilla_records.stored_words(b"Ann\x00 Example") == "Ann Example"
    assert mozilla_records.stored_words("Bob\x00") == "Bob"
    with pytest.raises(RecordRefused, match="NUL character"):
        mozilla_records.stored_text("ann\x00@example.org")
    with pytest.raises(RecordRefused, match="not UTF-8"):
        mozilla_records.stored_text(b"\xff\xfe")


def test_a_badge_without_an_owner_is_refused_with_that_reason(
    app: Flask, mozilla_source: sa.Engine
) -> None:
    rows = generated.badge_rows(1, body_0_5(60, generated.ANN))
    generated.fill(
        mozilla_source.url.render_as_string(hide_password=False),
        [("badge", [rows[0] | {"user_id": None}]), ("badge_image", [rows[1]])],
    )
    with app.app_context():
        report = import_instance(mozilla_source, batch=100)
    reasons = {f["key"]: f["reason"] for f in report.first_failures}
    assert reasons["badge:60"] == "its owner (Mozilla user None) was not imported"
    assert report.failed["badges"] == 2  # with the body that is not JSON


def test_worker_reports_add_up_in_the_main_report(tmp_path: Path) -> None:
    main = ImportReport()
    main.open_failures(tmp_path / "failures.jsonl")
    main.fail("users", "user:1", "not an address")
    main.notes.append("manifest.txt was ignored")
    worker = ImportReport()
    worker.open_failures(tmp_path / "failures.jsonl.worker-0")
    for n in range(60):
        worker.fail("badges", f"badge:{n}", "its body is not JSON")
    worker.imported["badges"] = 5
    worker.pending_badges = 2
    worker.missing_from_collections = 3
    worker.notes.append("manifest.txt was ignored")
    worker.close()
    main.absorb(worker)
    # A worker that died wrote two whole lines and was cut off in a third.
    dead = tmp_path / "failures.jsonl.worker-1"
    line = '{"kind": "collections", "key": "group:%d", "label": "g", "reason": "gone"}\n'
    dead.write_text(line % 1 + line % 2 + '{"kind": "coll')
    main.absorb_failures(dead, count=True)
    main.close()
    assert (main.imported["badges"], main.pending_badges) == (5, 2)
    assert dict(main.failed) == {"users": 1, "badges": 60, "collections": 2}
    assert len(main.first_failures) == 50
    assert main.all_notes() == [
        "manifest.txt was ignored",
        "3 badges listed in groups were deleted or not imported; their collections hold "
        "the others.",
    ]
    lines = (tmp_path / "failures.jsonl").read_text().splitlines()
    assert len(lines) == 63
    assert lines[-1].startswith('{"kind": "collections", "key": "group:2"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failures.jsonl"]


def test_how_many_workers_an_import_uses(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    from importers import workers

    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: set(range(32)))
    with app_factory().app_context():
        postgres = db.engine.dialect.name == "postgresql"
        assert workers.usable_workers(None) == (workers.DEFAULT_MOST_WORKERS if postgres else 1)
        assert workers.usable_workers(3) == (3 if postgres else 1)
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0})
    with app_factory().app_context():
        assert workers.usable_workers(None) == 1


def test_a_badge_class_deleted_between_two_batches_of_one_import_is_not_reused(
    app: Flask, mozilla_source: sa.Engine
) -> None:
    """Between batches, the earner deletes the first imported badge and its class goes with
    it: later badges of that class must get a class row that exists and is theirs."""
    from backpack.models import BadgeClass
    from backpack.services.badge_catalogue import content_digest

    # Bob holds a badge of the class of Ann's first badge, imported last.
    again = dataclasses.replace(body_0_5(1, generated.BOB), number=50)
    rows = generated.badge_rows(2, again)
    generated.fill(
        mozilla_source.url.render_as_string(hide_password=False),
        [("badge", [rows[0]]), ("badge_image", [rows[1]])],
    )
    with app.app_context():
        pipeline = Pipeline("mozilla:test", ImportReport(), batch=1)
        deleted: list[str] = []

        def between_batches(steps: int) -> None:
            if pipeline.report.imported["badges"] == 1 and not deleted:
                first = db.session.scalars(sa.select(Badge)).one()
                deleted.append(first.badge_class.content_sha256)
                db.session.delete(first)
                db.session.execute(sa.delete(BadgeClass).filter_by(id=first.badge_class_id))
                db.session.commit()

        pipeline.progress = between_batches
        report = pipeline.run(instance_units(mozilla_source, pipeline))
        assert deleted
        assert report.imported["badges"] == 12
        stored = db.session.scalars(sa.select(Badge)).all()
        assert len(stored) == 11
        # The class came back with Bob's badge of it.
        assert deleted[0] in {badge.badge_class.content_sha256 for badge in stored}
        for badge in stored:
            assert badge.badge_class is not None
            assert badge.badge_class.content_sha256 == content_digest(badge.assertion["badge"])


def test_imported_badges_hashed_from_mozillas_spellings_of_an_address_are_accepted(
    app: Flask,
) -> None:
    # Mozilla stored the primary as typed, and accepted hashes of its case variants.
    typed = body_1_0_hosted(1, "Bob.Smith@Example.org")
    title = body_1_0_hosted(2, "Bob.Smith@Example.Org")
    upper_local = body_0_5(3, "BOB.SMITH@example.org", salt="x")
    stranger = body_1_0_hosted(4, "bOB.sMITH@example.org")
    with app.app_context():
        [bob] = accounts.import_accounts(
            [accounts.ImportedAccount("Bob.Smith@Example.org", "!", verified=True)]
        )
        assert isinstance(bob, int)
        results = receive_unchecked_many(
            [
                UncheckedBadge(bob, badge.body, hosted_url=badge.endpoint)
                for badge in (typed, title, upper_local, stranger)
            ],
            CatalogueIds(),
        )
        assert [r.status if isinstance(r, StoredBadge) else r.code for r in results] == [
            "accepted",
            "accepted",
            "accepted",
            "recipient_mismatch",
        ]
        stored = db.session.scalars(sa.select(Badge).order_by(Badge.id)).all()
        warned = [
            [w["code"] for w in badge.last_report["warnings"]] == ["recipient_case_variant"]
            for badge in stored
        ]
        assert warned == [False, True, True]


def test_one_imported_badge_hashed_from_a_case_variant_is_accepted(app: Flask) -> None:
    badge = body_1_0_hosted(1, "BOB.SMITH@EXAMPLE.ORG")
    with app.app_context():
        [bob] = accounts.import_accounts(
            [accounts.ImportedAccount("Bob.Smith@Example.org", "!", verified=True)]
        )
        user = db.session.get(User, bob)
        assert user is not None
        received = receive_unchecked(user, badge.body, hosted_url=badge.endpoint)
        assert received.badge.status == "accepted"
        assert received.badge.recipient == "bob.smith@example.org"
