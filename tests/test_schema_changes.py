"""A user alters an audited table (ADD / DROP COLUMN) without calling audit.enable again."""

import pytest

from helpers import log_rows, raises_sqlstate, row, table_row


@pytest.fixture
def users(db):
    db.execute("CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, legacy text)")
    db.execute("INSERT INTO users VALUES (1, 'a@x.io', 'old')")
    db.execute("SELECT audit.enable('users')")
    return "users"


def columns_changed(db):
    return db.execute("SELECT columns_changed FROM audit.tables WHERE table_name = 'users'::regclass").fetchone()[0]


def test_add_column_is_captured_without_re_enabling(db, users):
    db.execute("ALTER TABLE users ADD COLUMN nick text")
    db.execute("INSERT INTO users VALUES (2, 'b@x.io', NULL, 'bee')")
    db.execute("UPDATE users SET nick = 'ay' WHERE id = 1")
    db.execute("UPDATE users SET nick = NULL, email = 'bb@x.io' WHERE id = 2")
    db.execute("DELETE FROM users WHERE id = 2")
    assert log_rows(db)[1:] == [
        row("INSERT", "2", new={"id": 2, "email": "b@x.io", "legacy": None, "nick": "bee"},
            changed=["email", "id", "nick"]),
        row("UPDATE", "1", old={"nick": None}, new={"id": 1, "email": "a@x.io", "legacy": "old", "nick": "ay"},
            changed=["nick"]),
        row("UPDATE", "2", old={"email": "b@x.io", "nick": "bee"},
            new={"id": 2, "email": "bb@x.io", "legacy": None, "nick": None}, changed=["email", "nick"]),
        row("DELETE", "2", old={"id": 2, "email": "bb@x.io", "legacy": None, "nick": None}, changed=["email", "id"]),
    ]


def test_add_column_with_default_then_truncate(db, users):
    db.execute("ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free'")
    db.execute("TRUNCATE users")
    assert log_rows(db)[1:] == [row("TRUNCATE", "1", old={"id": 1, "email": "a@x.io", "legacy": "old", "plan": "free"},
                                    changed=["email", "id", "legacy", "plan"])]


def test_add_column_multirow_update_pairs_rows(db, users):
    db.execute("INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(2, 6) g")
    db.execute("ALTER TABLE users ADD COLUMN score int")
    db.execute("UPDATE users SET score = id * 10")
    got = sorted((int(e["record_id"]), e["new_values"]["score"], e["new_values"]["email"], e["old_values"])
                 for e in log_rows(db) if e["action"] == "UPDATE")
    assert got == [(1, 10, "a@x.io", {"score": None})] + [(i, i * 10, f"u{i}", {"score": None}) for i in range(2, 7)]


def test_drop_column_writes_still_work(db, users):
    db.execute("ALTER TABLE users DROP COLUMN legacy")
    db.execute("INSERT INTO users VALUES (2, 'b@x.io')")
    db.execute("UPDATE users SET email = 'c@x.io' WHERE id = 1")
    db.execute("DELETE FROM users WHERE id = 2")
    db.execute("TRUNCATE users")
    assert log_rows(db)[1:] == [
        row("INSERT", "2", new={"id": 2, "email": "b@x.io"}, changed=["email", "id"]),
        row("UPDATE", "1", old={"email": "a@x.io"}, new={"id": 1, "email": "c@x.io"}, changed=["email"]),
        row("DELETE", "2", old={"id": 2, "email": "b@x.io"}, changed=["email", "id"]),
        row("TRUNCATE", "1", old={"id": 1, "email": "c@x.io"}, changed=["email", "id"]),
    ]


def test_drop_of_an_ignored_or_redacted_column(db):
    db.execute("CREATE TABLE acc (id int PRIMARY KEY, email text, pw text, seen int)")
    db.execute("INSERT INTO acc VALUES (1, 'a', 'p-SECRET', 0)")
    db.execute("SELECT audit.enable('acc', ignore_columns => '{seen}', redact_columns => '{pw}', snapshot => false)")
    db.execute("ALTER TABLE acc DROP COLUMN seen")
    db.execute("UPDATE acc SET email = 'b', pw = 'q-SECRET'")
    assert log_rows(db) == [row("UPDATE", "1", old={"email": "a", "pw": "[redacted]"},
                                new={"id": 1, "email": "b", "pw": "[redacted]"}, changed=["email", "pw"])]
    assert db.execute("SELECT count(*) FROM audit.logs l WHERE l::text LIKE '%SECRET%'").fetchone()[0] == 0


def test_add_then_drop_column_in_one_transaction(connect, db, users):
    conn = connect(autocommit=False)
    conn.execute("ALTER TABLE users ADD COLUMN tmp int")
    conn.execute("UPDATE users SET tmp = 1")
    conn.execute("ALTER TABLE users DROP COLUMN tmp")
    conn.execute("UPDATE users SET email = 'z@x.io'")
    conn.commit()
    assert [(e["changed_fields"], e["new_values"]) for e in log_rows(db)[1:]] == [
        (["tmp"], {"id": 1, "email": "a@x.io", "legacy": "old", "tmp": 1}),
        (["email"], {"id": 1, "email": "z@x.io", "legacy": "old"}),
    ]


def test_columns_changed_until_enable_is_called_again(db, users):
    assert columns_changed(db) is False
    db.execute("ALTER TABLE users ADD COLUMN nick text")
    assert columns_changed(db) is True
    db.execute("SELECT audit.enable('users')")
    assert columns_changed(db) is False
    assert [e["action"] for e in log_rows(db)] == ["SNAPSHOT"]  # no new snapshot
    db.execute("ALTER TABLE users DROP COLUMN legacy")
    assert columns_changed(db) is True
    db.execute("SELECT audit.enable('users')")
    assert columns_changed(db) is False
    db.execute("UPDATE users SET nick = 'n'")
    assert log_rows(db)[-1] == row("UPDATE", "1", old={"nick": None}, new={"id": 1, "email": "a@x.io", "nick": "n"},
                                   changed=["nick"])


def test_column_type_change(db, users):
    db.execute("ALTER TABLE users ADD COLUMN score numeric")
    db.execute("UPDATE users SET score = 1.50")
    db.execute("ALTER TABLE users ALTER COLUMN score TYPE int USING round(score)::int")
    db.execute("UPDATE users SET score = score + 1")
    assert [(e["old_values"], e["new_values"]["score"]) for e in log_rows(db)[1:]] == [
        ({"score": None}, 1.5), ({"score": 2}, 3)]
    assert table_row(db, "SELECT score FROM users") == {"score": 3}


def test_schema_change_on_a_partitioned_table(db):
    db.execute("CREATE TABLE m (id int, r text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    db.execute("CREATE TABLE m_a PARTITION OF m FOR VALUES IN ('a')")
    db.execute("SELECT audit.enable('m')")
    db.execute("ALTER TABLE m ADD COLUMN v int")
    db.execute("INSERT INTO m VALUES (1, 'a', 5)")
    db.execute("INSERT INTO m_a VALUES (2, 'a', 6)")
    db.execute("UPDATE m_a SET v = 7 WHERE id = 1")
    assert log_rows(db, "m") == [
        row("INSERT", '{"r": "a", "id": 1}', new={"id": 1, "r": "a", "v": 5}, changed=["id", "r", "v"]),
        row("INSERT", '{"r": "a", "id": 2}', new={"id": 2, "r": "a", "v": 6}, changed=["id", "r", "v"]),
        row("UPDATE", '{"r": "a", "id": 1}', old={"v": 5}, new={"id": 1, "r": "a", "v": 7}, changed=["v"]),
    ]


def test_renaming_a_key_column_stops_writes_with_a_clear_error_until_enabled_again(db):
    db.execute("CREATE TABLE ck (a int, b int, v text, PRIMARY KEY (a, b))")
    db.execute("SELECT audit.enable('ck')")
    db.execute("INSERT INTO ck VALUES (1, 1, 'x')")
    db.execute("ALTER TABLE ck RENAME COLUMN b TO bb")
    with raises_sqlstate("42703", "key_columns", r"\bb\b", "ck", "audit.enable"):
        db.execute("INSERT INTO ck VALUES (1, 2, 'y')")
    db.execute("SELECT audit.enable('ck')")  # the primary key is (a, bb) now
    db.execute("INSERT INTO ck VALUES (1, 2, 'y')")
    assert [e["record_id"] for e in log_rows(db, "ck")] == ['{"a": 1, "b": 1}', '{"a": 1, "bb": 2}']


def test_renaming_a_redacted_column_stops_writes_rather_than_log_the_secret(db):
    db.execute("CREATE TABLE sk (id int PRIMARY KEY, secret text, v text)")
    db.execute("SELECT audit.enable('sk', redact_columns => array['secret'])")
    db.execute("ALTER TABLE sk RENAME COLUMN secret TO pw")
    with raises_sqlstate("42703", "redact_columns", "secret", "sk"):
        db.execute("INSERT INTO sk VALUES (1, 'S3CRET', 'v')")
    db.execute("SELECT audit.enable('sk', redact_columns => array['pw'])")
    db.execute("INSERT INTO sk VALUES (1, 'S3CRET', 'v')")
    assert log_rows(db, "sk")[0]["new_values"] == {"id": 1, "pw": "[redacted]", "v": "v"}
