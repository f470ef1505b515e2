"""The database itself refuses to change or remove audit events and checkpoints.

PostgreSQL: triggers reject UPDATE and DELETE always, and TRUNCATE unless the session has set
keydesk.audit_maintenance = 'truncate' (a deliberate, logged DBA act; the hash chain and the signed
checkpoints still show what was removed). Free-text search gets a trigram index.
SQLite (the demo): triggers reject UPDATE and DELETE.
"""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditcheckpoint")

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION keydesk_audit_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' AND current_setting('keydesk.audit_maintenance', true) = 'truncate' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'Keydesk audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql
    """,
    *[
        sql
        for table in TABLES
        for sql in (
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION keydesk_audit_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION keydesk_audit_append_only()",
        )
    ],
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX audit_search_trgm ON audit_auditevent USING gin (search_text gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS audit_search_trgm",
    *[f"DROP TRIGGER IF EXISTS {table}_{kind} ON {table}" for table in TABLES for kind in ("no_change", "no_truncate")],
    "DROP FUNCTION IF EXISTS keydesk_audit_append_only()",
]
SQLITE_FORWARD = [
    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'Keydesk audit records are append-only: {op} refused'); END"
    for table in TABLES
    for op in ("UPDATE", "DELETE")
]
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {table}_no_{op}" for table in TABLES for op in ("update", "delete")]


def _run(statements: dict[str, list[str]]):  # noqa: ANN202
    def run(apps, schema_editor) -> None:  # noqa: ANN001
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)  # no placeholders: plpgsql uses % itself

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
