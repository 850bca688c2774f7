"""Ways to remove or change an audited table's rows without a log row: each is captured or refused."""

import pytest

from helpers import log_rows, raises_sqlstate

pytestmark = pytest.mark.security


def test_truncate_in_repeatable_read_is_refused_and_removes_nothing(db, connect):
    db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.execute("SELECT audit.enable('t')")
    rr = connect(autocommit=False)
    rr.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    rr.execute("SELECT count(*) FROM t")  # the snapshot is taken now, before the next row commits
    db.execute("INSERT INTO t VALUES (1, 'committed after the snapshot')")
    with raises_sqlstate("25000", "TRUNCATE", r"\bt\b", "READ COMMITTED"):
        rr.execute("TRUNCATE t")
    rr.rollback()
    for level in ("SERIALIZABLE", "REPEATABLE READ"):
        rr.execute(f"BEGIN ISOLATION LEVEL {level}")
        with raises_sqlstate("25000", "TRUNCATE"):
            rr.execute("TRUNCATE t")
        rr.rollback()
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    db.execute("TRUNCATE t")  # READ COMMITTED: logged
    assert [e["action"] for e in log_rows(db)] == ["INSERT", "TRUNCATE"]


def test_row_level_security_cannot_hide_rows_from_truncate_or_snapshot(separated):
    s = separated
    s.owner.execute("CREATE TABLE app.notes (id int PRIMARY KEY, owner text)")
    s.owner.execute("INSERT INTO app.notes VALUES (1, 'a'), (2, 'b')")
    s.owner.execute("ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY")
    s.owner.execute("CREATE POLICY only_a ON app.notes USING (owner = 'a')")
    s.grant("app.notes")
    with raises_sqlstate("42501", "row-level security", "notes", "snapshot"):
        s.pkg.execute("SELECT audit.enable('app.notes')")
    s.pkg.execute("SELECT audit.enable('app.notes', snapshot => false)")
    s.app.execute("INSERT INTO app.notes VALUES (3, 'a')")  # transition tables see every row
    with raises_sqlstate("42501", "TRUNCATE", "notes", "row-level security"):
        s.app.execute("TRUNCATE app.notes")
    assert s.owner.execute("SELECT count(*) FROM app.notes").fetchone()[0] == 3
    assert [e["record_id"] for e in log_rows(s.analyst)] == ["3"]


def test_an_audited_table_cannot_become_a_partition_or_an_inheritance_child(db):
    db.execute("CREATE TABLE t (id int PRIMARY KEY, region text NOT NULL)")
    db.execute("SELECT audit.enable('t')")
    db.execute("CREATE TABLE parent (id int, region text NOT NULL) PARTITION BY LIST (region)")
    with raises_sqlstate("0A000", "audit_trail_no_parent", "partition"):
        db.execute("ALTER TABLE parent ATTACH PARTITION t FOR VALUES IN ('eu')")
    db.execute("CREATE TABLE base (id int, region text NOT NULL)")
    with raises_sqlstate("0A000", "audit_trail_no_parent", "inheritance"):
        db.execute("ALTER TABLE t INHERIT base")
    db.execute("INSERT INTO t VALUES (1, 'eu')")
    assert [e["action"] for e in log_rows(db)] == ["INSERT"]


def test_an_audited_partitioned_table_attached_under_a_new_parent_refuses_writes(db):
    db.execute("CREATE TABLE m (id int, region text NOT NULL, PRIMARY KEY (id, region)) PARTITION BY LIST (region)")
    db.execute("CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu')")
    db.execute("SELECT audit.enable('m')")
    db.execute("CREATE TABLE top (id int, region text NOT NULL) PARTITION BY LIST (region)")
    db.execute("ALTER TABLE top ATTACH PARTITION m FOR VALUES IN ('eu')")
    for stmt in ("INSERT INTO top VALUES (1, 'eu')", "INSERT INTO m VALUES (1, 'eu')", "INSERT INTO m_eu VALUES (1, 'eu')"):
        with raises_sqlstate("55000", "has become a partition of", "top", what=stmt):
            db.execute(stmt)
    db.execute("ALTER TABLE top DETACH PARTITION m")
    db.execute("INSERT INTO m VALUES (1, 'eu')")
    assert [e["action"] for e in log_rows(db)] == ["INSERT"]


def test_inheritance_children_are_captured_under_the_parent_s_name(db):
    db.execute("CREATE TABLE animals (id int PRIMARY KEY, name text)")
    db.execute("CREATE TABLE dogs (bark text) INHERITS (animals)")
    db.execute("INSERT INTO animals VALUES (1, 'cat')")
    db.execute("INSERT INTO dogs VALUES (2, 'rex', 'woof')")
    db.execute("SELECT audit.enable('animals')")
    with raises_sqlstate("42809", "inheritance child", "dogs", "animals"):
        db.execute("SELECT audit.enable('dogs')")
    db.execute("INSERT INTO dogs VALUES (3, 'fido', 'wuff')")  # straight into the child
    db.execute("UPDATE animals SET name = upper(name)")          # through the parent, child rows included
    db.execute("DELETE FROM dogs WHERE id = 3")
    db.execute("TRUNCATE animals")                               # the child's rows go too
    got = [(e["action"], e["record_id"]) for e in log_rows(db)]
    assert got[:2] == [("SNAPSHOT", "1"), ("SNAPSHOT", "2")]
    assert got[2] == ("INSERT", "3")
    assert sorted(got[3:6]) == [("UPDATE", "1"), ("UPDATE", "2"), ("UPDATE", "3")]
    assert got[6] == ("DELETE", "3")
    assert sorted(got[7:]) == [("TRUNCATE", "1"), ("TRUNCATE", "2")]
    assert {e["table_name"] for e in log_rows(db, fields=("table_name",))} == {"animals"}


def test_a_child_added_after_enable_stops_truncate_until_enabled_again(db):
    db.execute("CREATE TABLE animals (id int PRIMARY KEY, name text)")
    db.execute("SELECT audit.enable('animals')")
    db.execute("CREATE TABLE cats (lives int) INHERITS (animals)")
    db.execute("INSERT INTO animals VALUES (1, 'a')")
    with raises_sqlstate("55000", "TRUNCATE", "cats", "not\\s+covered", "audit.enable"):
        db.execute("TRUNCATE animals")
    db.execute("SELECT audit.enable('animals')")
    db.execute("INSERT INTO cats VALUES (2, 'tom', 9)")
    db.execute("TRUNCATE animals")
    assert [(e["action"], e["record_id"]) for e in log_rows(db)] == [
        ("INSERT", "1"), ("INSERT", "2"), ("TRUNCATE", "1"), ("TRUNCATE", "2")]


def test_a_partition_created_by_a_separate_table_owner_is_guarded(separated):
    s = separated
    s.owner.execute("CREATE TABLE app.ev (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)")
    s.owner.execute("CREATE TABLE app.ev_2024 PARTITION OF app.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    for t in ("app.ev", "app.ev_2024"):
        s.grant(t)
    s.pkg.execute("SELECT audit.enable('app.ev')")
    # The table owner may go on adding partitions (the guard trigger is copied to them) ...
    s.owner.execute("CREATE TABLE app.ev_2025 PARTITION OF app.ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')")
    s.grant("app.ev_2025")
    with raises_sqlstate("55000", "ev_2025", "not covered"):
        s.app.execute("INSERT INTO app.ev VALUES (1, '2025-06-01')")
    s.pkg.execute("SELECT audit.enable('app.ev')")
    s.app.execute("INSERT INTO app.ev VALUES (1, '2025-06-01')")
    # ... and the package owner, who does not own the table, may switch auditing off.
    s.pkg.execute("SELECT audit.disable('app.ev')")
    s.app.execute("INSERT INTO app.ev VALUES (2, '2024-06-01')")
    assert [e["action"] for e in log_rows(s.analyst)] == ["INSERT"]
    assert s.pkg.execute("SELECT count(*) FROM audit.tables").fetchone()[0] == 0
