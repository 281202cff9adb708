"""Documents' content: a row per document in the referral's own schema, beside the event
store (like the keyring and the child index), holding the bytes as `seal_bytes` sealed them
under the case's data key. The store's events carry only what a document is (a few hundred
bytes each), so nothing that loads events in batches (the outbox relay, the hash chain, the
projector, an audit's replay) ever carries a document's megabytes.

The table is mutable: a row is written (again, by the same request's retry) before the
document's events are committed, and the case's rows are deleted when its personal details
are erased. What a document's record holds of its content (a MAC under the case's key, in
the store's hash chain) is what a download checks the row against."""

from __future__ import annotations

import base64
from uuid import UUID

from sqlalchemy import Column, DateTime, LargeBinary, MetaData, Table, Uuid, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from contracts.classification import DataClass, column_class
from maag.runtime.follow.projection import create_tables

metadata = MetaData()
content_table = Table(
    "referral_document_content",
    metadata,
    Column("document_id", Uuid, primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("case_id", Uuid, nullable=False, index=True, info=column_class(DataClass.OPERATIONAL)),
    # the nonce and ciphertext `seal_bytes` makes, as bytes (its base64 would be a third more)
    Column("sealed", LargeBinary, nullable=False, info=column_class(DataClass.SPECIAL_CATEGORY)),
    Column(
        "stored_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        info=column_class(DataClass.OPERATIONAL),
    ),
)


class SqlDocumentContents:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(metadata, engine)

    def put(self, document_id: UUID, case_id: UUID, sealed: str) -> None:
        """The document's sealed content, in place of any its id held (a retry's)."""
        postgres = self.engine.dialect.name == "postgresql"
        insert = (pg_insert if postgres else sqlite_insert)(content_table).values(
            document_id=document_id, case_id=case_id, sealed=base64.b64decode(sealed)
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["document_id"],
            set_={
                "case_id": insert.excluded.case_id,
                "sealed": insert.excluded.sealed,
                "stored_at": func.now(),
            },
        )
        with self.engine.begin() as conn:
            conn.execute(upsert)

    def sealed(self, document_id: UUID) -> str | None:
        with self.engine.connect() as conn:
            found = conn.scalar(
                select(content_table.c.sealed).where(content_table.c.document_id == document_id)
            )
        return None if found is None else base64.b64encode(found).decode()

    def forget(self, case_id: UUID) -> None:
        """The case's details were erased: its documents' content goes with them."""
        with self.engine.begin() as conn:
            conn.execute(content_table.delete().where(content_table.c.case_id == case_id))
