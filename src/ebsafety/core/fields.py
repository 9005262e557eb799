"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class CodeField(models.CharField):
    """An identifier written in letters and digits — a frame number, an ID number, a phone number, a
    credit code: compared and sorted byte by byte, never by the rules of a language.

    On PostgreSQL the column's collation is "C". Under the database's own (C.UTF-8 here, zh_CN.UTF-8 or
    en_US.UTF-8 in many deployments) every comparison calls the C library's `strcoll` and the sort cannot
    use abbreviated keys, which makes the codes' indexes several times slower to build and to search: a
    million frame numbers' unique index takes 1.74 s under C.UTF-8 and 0.79 s under "C"
    (docs/performance.md). Equality is the same under both (the database's collation is deterministic), and
    the codes are ASCII once normalised, so their order is too. SQLite compares text byte by byte already.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql" and self.db_collation is None:
            params["collation"] = "C"
        return params
