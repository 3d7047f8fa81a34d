"""Hold a SQLite database write-locked from this process, for tests/lab/faults.py's StoreLock.

    python store_locker.py DB SECONDS

Takes ``BEGIN IMMEDIATE`` (what every writer of the ticket store holds while it writes), prints
"locked", then holds it until a line or end-of-file comes on stdin, or after SECONDS (0: no
limit); then rolls back. Standard library only.
"""

from __future__ import annotations

import select
import sqlite3
import sys


def main(db: str, seconds: float) -> None:
    conn = sqlite3.connect(db, timeout=60, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")  # what SqliteStore sets; nothing changes when it already is
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    select.select([sys.stdin], [], [], seconds if seconds > 0 else None)
    conn.execute("ROLLBACK")
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
