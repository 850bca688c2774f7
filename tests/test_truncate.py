"""A user empties audited tables with TRUNCATE: every removed row is logged."""

import pytest

from helpers import log_rows, row


@pytest.fixture
def tags(db):
    db.execute("CREATE TABLE tags (id int PRIMARY KEY, label text, color text)")
    db.execute("INSERT INTO tags VALUES (1, 'red', NULL), (2, 'blue', 'b'), (3, 'green', 'g')")
    db.execute("SELECT audit.enable('tags', snapshot => false)")
    return "tags"


def test_truncate_logs_every_removed_row(db, tags):
    db.execute("TRUNCATE tags")
    assert sorted(log_rows(db), key=lambda e: e["record_id"]) == [
        row("TRUNCATE", "1", old={"id": 1, "label": "red", "color": None}, changed=["id", "label"]),
        row("TRUNCATE", "2", old={"id": 2, "label": "blue", "color": "b"}, changed=["color", "id", "label"]),
        row("TRUNCATE", "3", old={"id": 3, "label": "green", "color": "g"}, changed=["color", "id", "label"]),
    ]


def test_truncate_rows_share_created_at_and_transaction(db, tags):
    db.execute("TRUNCATE tags")
    assert db.execute("SELECT count(*), count(DISTINCT created_at), count(DISTINCT transaction_id)"
                      " FROM audit.logs").fetchone() == (3, 1, 1)


def test_truncate_of_an_empty_table_logs_nothing(db, tags):
    db.execute("DELETE FROM tags")
    mark = len(log_rows(db))
    db.execute("TRUNCATE tags")
    assert log_rows(db)[mark:] == []


def test_truncate_sees_rows_written_earlier_in_the_same_transaction(connect, tags):
    conn = connect(autocommit=False)
    conn.execute("INSERT INTO tags VALUES (4, 'new', NULL)")
    conn.execute("UPDATE tags SET label = 'RED' WHERE id = 1")
    conn.execute("TRUNCATE tags")
    conn.commit()
    truncated = sorted((e["record_id"], e["old_values"]["label"]) for e in log_rows(conn) if e["action"] == "TRUNCATE")
    assert truncated == [("1", "RED"), ("2", "blue"), ("3", "green"), ("4", "new")]
    conn.rollback()


def test_rolled_back_truncate_logs_nothing(connect, db, tags):
    conn = connect(autocommit=False)
    conn.execute("TRUNCATE tags")
    conn.rollback()
    assert log_rows(db) == []
    assert db.execute("SELECT count(*) FROM tags").fetchone()[0] == 3


def test_truncate_of_several_tables_in_one_statement(db, tags):
    db.execute("CREATE TABLE colors (name text PRIMARY KEY)")
    db.execute("INSERT INTO colors VALUES ('b'), ('g')")
    db.execute("SELECT audit.enable('colors', snapshot => false)")
    db.execute("TRUNCATE tags, colors")
    got = sorted((e["table_name"], e["action"], e["record_id"]) for e in log_rows(
        db, fields=("table_name", "action", "record_id")))
    assert got == [("colors", "TRUNCATE", "b"), ("colors", "TRUNCATE", "g"),
                   ("tags", "TRUNCATE", "1"), ("tags", "TRUNCATE", "2"), ("tags", "TRUNCATE", "3")]


def test_truncate_cascade_logs_the_rows_of_every_audited_table_it_empties(db):
    db.execute("CREATE TABLE authors (id int PRIMARY KEY, name text)")
    db.execute("CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors, title text)")
    db.execute("CREATE TABLE reviews (id int PRIMARY KEY, book_id int REFERENCES books, stars int)")
    db.execute("INSERT INTO authors VALUES (1, 'a'), (2, 'b')")
    db.execute("INSERT INTO books VALUES (10, 1, 't1'), (20, 2, 't2')")
    db.execute("INSERT INTO reviews VALUES (100, 10, 5)")
    for t in ("authors", "books", "reviews"):
        db.execute("SELECT audit.enable(%s, snapshot => false)", [t])
    db.execute("TRUNCATE authors CASCADE")
    got = sorted((e["table_name"], e["record_id"], e["old_values"]) for e in log_rows(
        db, fields=("table_name", "record_id", "old_values", "action")) if e["action"] == "TRUNCATE")
    assert got == [
        ("authors", "1", {"id": 1, "name": "a"}), ("authors", "2", {"id": 2, "name": "b"}),
        ("books", "10", {"id": 10, "author_id": 1, "title": "t1"}),
        ("books", "20", {"id": 20, "author_id": 2, "title": "t2"}),
        ("reviews", "100", {"id": 100, "book_id": 10, "stars": 5}),
    ]
    assert len(log_rows(db)) == 5


def test_truncate_cascade_into_an_unaudited_table_logs_only_the_audited_one(db):
    db.execute("CREATE TABLE authors (id int PRIMARY KEY)")
    db.execute("CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors)")
    db.execute("INSERT INTO authors VALUES (1)")
    db.execute("INSERT INTO books VALUES (10, 1)")
    db.execute("SELECT audit.enable('books', snapshot => false)")
    db.execute("TRUNCATE authors CASCADE")
    assert log_rows(db) == [row("TRUNCATE", "10", old={"id": 10, "author_id": 1}, changed=["author_id", "id"])]


def test_truncate_restart_identity(db):
    db.execute("CREATE TABLE seq_t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)")
    db.execute("INSERT INTO seq_t (v) VALUES ('a')")
    db.execute("SELECT audit.enable('seq_t', snapshot => false)")
    db.execute("TRUNCATE seq_t RESTART IDENTITY")
    db.execute("INSERT INTO seq_t (v) VALUES ('b')")
    assert log_rows(db) == [row("TRUNCATE", "1", old={"id": 1, "v": "a"}, changed=["id", "v"]),
                            row("INSERT", "1", new={"id": 1, "v": "b"}, changed=["id", "v"])]
