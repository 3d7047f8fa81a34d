"""The fault record in the SQLite ticket store: schema version 7 (SQL only, no I/O here).

Migration 2 made ``faults`` for compliance's findings; this one grows it into the fault ticket
(:class:`~sipelangi_net.faults.models.FaultTicket`) so the ``GGN-`` numbers stay one sequence:

* ``faults`` is rebuilt with ``key`` (unique among open faults: ``faults_one_open``), ``kind``,
  ``source``, ``severity``, ``link_a``/``link_b``, ``opds`` and ``tickets`` (JSON lists).
  Compliance's rows keep their numbers and get ``source`` compliance, ``severity`` minor,
  ``kind`` config_drift (``drift:*``) or unreachable (``unreachable``/``error``) and the key
  ``compliance:<device>:<finding>``. ``status`` stays the indexed open/closed column; ``finding``,
  ``detail``, ``last_seen_at`` and ``seen`` stay as compliance's sightings.
* ``fault_events`` (the steps) and ``fault_records`` (diagnoses, re-tests, observations) are
  append-only (triggers refuse UPDATE and DELETE, as ``events``). Each old row gets a ``reported``
  event at ``opened_at``; a closed one ``verified`` and ``closed`` at ``closed_at``, by the
  Monitor named ``compliance``.
* ``notifications`` is rebuilt with a nullable ``ticket_id`` and a ``fault_id``: each notification
  belongs to exactly one ticket or one fault, and the outbox delivers both.
"""

from __future__ import annotations

COMPLIANCE_ACTOR = "compliance"
"""The name compliance's fault steps are recorded under (role Monitor)."""

MIGRATION = """
    CREATE TABLE faults_v7 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        severity TEXT NOT NULL,
        device TEXT NOT NULL,
        link_a TEXT,
        link_b TEXT,
        opds TEXT NOT NULL DEFAULT '[]',
        tickets TEXT NOT NULL DEFAULT '[]',
        summary TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        opened_at TEXT NOT NULL,
        closed_at TEXT,
        finding TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '{}',
        last_seen_at TEXT NOT NULL,
        seen INTEGER NOT NULL DEFAULT 1
    );
    INSERT INTO faults_v7 (id, key, kind, source, severity, device, summary, status, opened_at,
        closed_at, finding, detail, last_seen_at, seen)
    SELECT id, 'compliance:' || device || ':' || finding,
        CASE WHEN finding IN ('unreachable', 'error') THEN 'unreachable' ELSE 'config_drift' END,
        'compliance', 'minor', device, summary, status, opened_at,
        CASE WHEN status = 'closed' THEN COALESCE(closed_at, last_seen_at) END,
        finding, detail, last_seen_at, seen
    FROM faults;
    UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(s.seq), 0) FROM sqlite_sequence s
        WHERE s.name = 'faults')) WHERE name = 'faults_v7';
    DROP TABLE faults;
    ALTER TABLE faults_v7 RENAME TO faults;
    CREATE UNIQUE INDEX faults_one_open ON faults (key) WHERE status = 'open';
    CREATE INDEX faults_status_id ON faults (status, id);
    CREATE INDEX faults_opened_at ON faults (opened_at);
    CREATE TABLE fault_events (
        fault_id INTEGER NOT NULL REFERENCES faults(id),
        seq INTEGER NOT NULL,
        step TEXT NOT NULL,
        at TEXT NOT NULL,
        role TEXT NOT NULL,
        actor TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (fault_id, seq)
    );
    CREATE TRIGGER fault_events_append_only_update BEFORE UPDATE ON fault_events
        BEGIN SELECT RAISE(ABORT, 'fault events are append-only'); END;
    CREATE TRIGGER fault_events_append_only_delete BEFORE DELETE ON fault_events
        BEGIN SELECT RAISE(ABORT, 'fault events are append-only'); END;
    CREATE TABLE fault_records (
        fault_id INTEGER NOT NULL REFERENCES faults(id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        role TEXT NOT NULL,
        actor TEXT NOT NULL,
        summary TEXT NOT NULL,
        outputs TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (fault_id, seq)
    );
    CREATE TRIGGER fault_records_append_only_update BEFORE UPDATE ON fault_records
        BEGIN SELECT RAISE(ABORT, 'fault records are append-only'); END;
    CREATE TRIGGER fault_records_append_only_delete BEFORE DELETE ON fault_records
        BEGIN SELECT RAISE(ABORT, 'fault records are append-only'); END;
    INSERT INTO fault_events (fault_id, seq, step, at, role, actor)
        SELECT id, 1, 'reported', opened_at, 'Monitor', 'compliance' FROM faults;
    INSERT INTO fault_events (fault_id, seq, step, at, role, actor)
        SELECT id, 2, 'verified', closed_at, 'Monitor', 'compliance' FROM faults WHERE status = 'closed';
    INSERT INTO fault_events (fault_id, seq, step, at, role, actor)
        SELECT id, 3, 'closed', closed_at, 'Monitor', 'compliance' FROM faults WHERE status = 'closed';
    CREATE TABLE notifications_v7 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id TEXT REFERENCES tickets(id),
        fault_id INTEGER REFERENCES faults(id),
        kind TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        sent_at TEXT,
        CHECK ((ticket_id IS NULL) != (fault_id IS NULL))
    );
    INSERT INTO notifications_v7 (id, ticket_id, kind, channel, recipient, subject, body, status,
        attempts, last_error, created_at, next_attempt_at, sent_at)
    SELECT id, ticket_id, kind, channel, recipient, subject, body, status, attempts, last_error,
        created_at, next_attempt_at, sent_at FROM notifications;
    UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(s.seq), 0) FROM sqlite_sequence s
        WHERE s.name = 'notifications')) WHERE name = 'notifications_v7';
    DROP TABLE notifications;
    ALTER TABLE notifications_v7 RENAME TO notifications;
    CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
    CREATE INDEX notifications_fault ON notifications (fault_id) WHERE fault_id IS NOT NULL;
    """
