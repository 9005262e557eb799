"""The e-bike ledger's column-wise import: the same outcome as the row-wise engine, at a million rows.

`check()` reads the file in chunks (`frames`), normalises every column, applies the e-bike row rules
(`handlers.EBikeHandler.row_rules`) as column expressions, drops later duplicates of a frame number, and fills
the outcome: counts, errors and warnings in row order, the rejected rows for the error report. Rows whose
frame number is already registered are few; they become ordinary `RowPlan`s and go through the handler's own
`match` and `write`. New bikes stay in columns and are written with `bulk` (COPY / executemany), their owners
found or created by ID number (else name and phone) in bulk too.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import polars as pl
from django.db import connection
from django.utils import timezone

from ebsafety.core.choices import UnitKind
from ebsafety.ledgers import bulk
from ebsafety.ledgers.choices import BikeUse, PlateKind, RecordStatus
from ebsafety.ledgers.frames import Chunk, check_columns, data_rows, detached, dtype_of, read_chunks
from ebsafety.ledgers.handlers import (
    EBIKE_FIELDS,
    INSERT_DEFAULTS,
    MAX_COMPLIANT_VOLTAGE,
    TEXT_FIELDS,
    EBikeHandler,
)
from ebsafety.ledgers.models import EBike, Person
from ebsafety.ledgers.parsing import Issue, IssueFrame, ParsedRow
from ebsafety.ledgers.reader import SourceFile

WARNINGS = ("w_compound", "w_plate", "w_voltage")  # in the order row_rules adds them
ANALYZE_AFTER = 50_000  # rows added by one import after which PostgreSQL's planner statistics are renewed
LOOKUP_CHUNK = 5000  # keys per IN (…) list on SQLite (its limit is 32,766 parameters); PostgreSQL: = ANY


class EBikeImport:
    """One e-bike file for one unit: `check()` plans it, `write()` commits the plan."""

    def __init__(
        self,
        handler: EBikeHandler,
        source: SourceFile,
        progress: Callable[..., None],
        early: bool = False,
        batch_id: int | None = None,
    ) -> None:
        self.handler = handler
        self.spec = handler.spec
        self.unit = handler.unit
        self.source = source
        self.progress = progress
        self.accepted = bulk.FrameSpill()  # rows that passed, chunk by chunk, on disk until the write
        self.keys: list[pl.DataFrame] = []  # their frame numbers and row numbers, in memory
        self.existing: list[Any] = []  # RowPlans of frame numbers already registered
        self.found: list[str] = []  # the frame numbers among them
        # New rows on their way in (write): SQLite's staging file, PostgreSQL's COPY thread.
        self.staging: bulk.SqliteStaging | bulk.PostgresCopier | None = None
        self.first_ids: dict[str, int] = {}  # table → the first id this import gave a new row
        self.added = 0
        # Committing right after the check, on SQLite: the new rows are staged as each chunk is checked
        # (`_stage`), so the staging thread works beside the check instead of after it.
        self.early = (
            early and batch_id is not None and connection.vendor == "sqlite" and bulk.SqliteStaging.usable()
        )
        self.people: People | None = None  # the owners known so far (early staging)
        # Early staging's jobs: a chunk's owners matched and its rows staged on a thread of their own while
        # the next chunk is read and checked here; the people they create take ids from a pool reserved here.
        self.stager: bulk.Background | None = None
        self.person_ids: bulk.IdPool | None = None
        self.vendor = connection.vendor  # for the jobs: `connection` is per thread
        self.batch_id = batch_id  # the batch the commit will record (its id reserved), for staged rows
        self.staged: list[pl.Series] = []  # the ids of the bikes staged so far (not a Python int each)
        self.staged_at: Any = None  # when the first rows were staged
        self.parsed: dict[int, dict[Any, tuple[Any, str | None]]] = {}  # normalised spellings, per column
        self.timings: dict[str, float] = {"read_s": 0.0, "check_s": 0.0}

    # -- checking --------------------------------------------------------------------------------------
    def check(self, outcome: Any) -> None:
        """Read and check the file; fill `outcome` as the row-wise engine does (but for the write)."""
        started = time.perf_counter()
        header, chunks = read_chunks(self.source, self.spec)
        self.timings["read_s"] += time.perf_counter() - started
        outcome.header_cells, outcome.header_row = header.cells, header.row
        self.header = header
        self.columns = [(self.spec.column(k), i, header.texts[k]) for k, i in header.positions.items()]
        self.present = [c.key for c, _, _ in self.columns]
        errors: list[tuple[int, list[Issue]]] = []
        warnings: list[pl.DataFrame] = []
        rejected: list[ParsedRow] = []
        # The next chunk is read (and its data rows found) on a thread of its own while this one is checked.
        with contextlib.closing(bulk.prefetched((c, data_rows(c)) for c in chunks)) as ahead:
            while True:
                started = time.perf_counter()
                item: tuple[Chunk, pl.Series] | None = next(ahead, None)
                self.timings["read_s"] += time.perf_counter() - started
                if item is None:
                    break
                started = time.perf_counter()
                outcome.rows += len(item[1])
                if len(item[1]):
                    self._check_chunk(*item, errors, warnings, rejected)
                item = None  # the chunk is let go before the next is taken
                self.timings["check_s"] += time.perf_counter() - started
                self.progress(outcome.rows, None, f"已读取 {outcome.rows} 行")
        if self.stager is not None:  # the last chunk's job
            started = time.perf_counter()
            self.stager.wait()
            self.timings["write_staging_s"] += time.perf_counter() - started
        self.people = None  # every owner is staged: the people known (a million at a census) are not needed
        self.timings["check_s"] -= self.timings.get("write_staging_s", 0.0)  # write work: timed apart
        started = time.perf_counter()
        errors.sort(key=lambda item: item[0])
        rejected.sort(key=lambda parsed: parsed.row)
        outcome.errors = [issue for _, issues in errors for issue in issues]
        outcome.rejected_rows = rejected
        outcome.rejected = len(rejected)
        outcome.accepted = outcome.rows - outcome.rejected
        outcome.warning_list = self._warning_list(warnings)
        del warnings  # the chunks' frames: the outcome's one holds them now
        self.timings["check_s"] += time.perf_counter() - started
        self.timings = {k: round(v, 3) for k, v in self.timings.items()}

    def _check_chunk(
        self,
        chunk: Chunk,
        positions: pl.Series,
        errors: list[tuple[int, list[Issue]]],
        warnings: list[pl.DataFrame],
        rejected: list[ParsedRow],
    ) -> None:
        frame = chunk.frame
        table: dict[str, pl.Series] = {
            "_row": frame["_row"].gather(positions),
            "_pos": positions.cast(pl.Int64),
        }
        checked_columns = check_columns(
            chunk, positions, [(c, i, t) for c, i, t in self.columns], self.parsed
        )
        for (column, _, _), checked in zip(self.columns, checked_columns, strict=True):
            table[column.key] = checked.values
            table[f"e:{column.key}"] = checked.errors
        values = pl.DataFrame(table)
        error_columns = [f"e:{c.key}" for c, _, _ in self.columns]
        cell_bad = pl.any_horizontal([pl.col(c).is_not_null() for c in error_columns])
        rule_bad = self._rule_error()
        values = values.with_columns(_cell_bad=cell_bad, _rule_bad=~cell_bad & rule_bad)
        ok = values.filter(~pl.col("_cell_bad") & ~pl.col("_rule_bad"))
        ok = self._apply_rules(ok)
        ok, duplicates = self._drop_duplicates(ok)
        bad = values.filter(pl.col("_cell_bad") | pl.col("_rule_bad"))
        for record in bad.iter_rows(named=True):
            issues = [
                Issue(record["_row"], text, record[f"e:{column.key}"])
                for column, _, text in self.columns
                if record[f"e:{column.key}"] is not None
            ]
            bad_columns = {
                index for column, index, _ in self.columns if record[f"e:{column.key}"] is not None
            }
            if record["_rule_bad"]:
                issues = [Issue(record["_row"], self.handler.header_text("owner_id_number"), RULE_MESSAGE)]
            errors.append((record["_row"], issues))
            rejected.append(self._parsed(chunk, record["_pos"], record["_row"], issues, bad_columns))
        key_text = self.header.texts.get(self.spec.key, self.spec.column(self.spec.key).header)
        key_index = self.header.positions[self.spec.key]
        for row, position, key, first in duplicates.iter_rows():
            issues = [Issue(row, key_text, f"与第 {first} 行重复（{key_text}：{key}）")]
            errors.append((row, issues))
            rejected.append(self._parsed(chunk, position, row, issues, {key_index}))
        noted = pl.any_horizontal([pl.col(w).is_not_null() for w in WARNINGS])
        # a few messages, repeated: kept as categories (4 bytes a row, not the text of each)
        warnings.append(
            ok.select("_row", *WARNINGS).filter(noted).with_columns(pl.col(WARNINGS).cast(pl.Categorical))
        )
        helpers = {"_pos", "_cell_bad", "_rule_bad", *WARNINGS}
        ok = ok.drop([c for c in ok.columns if c.startswith("e:") or c in helpers])
        self.keys.append(detached(ok.select(self.spec.key, "_row")).with_columns(_h=ok[self.spec.key].hash()))
        if self.early:
            started = time.perf_counter()
            self._stage(ok)
            spent = time.perf_counter() - started
            self.timings["write_staging_s"] = self.timings.get("write_staging_s", 0.0) + spent
        else:
            self.accepted.append(ok)

    def _stage(self, ok: pl.DataFrame) -> None:
        """Early staging: the chunk's rows whose frame number is registered are kept for `match` (on disk,
        as the accepted rows are otherwise); the others, new bikes, go to the staging file with their
        owners — found by ID number, else by name and phone, else created — and ids reserved now
        (`bulk.allocate_ids`: other writers' new rows take ids above them).

        The queries run here; matching the owners and staging the rows is a job (`_stage_job`) on the
        stager's thread, which runs beside the next chunk's reading and checking (mostly polars and
        SQLite work, which release the interpreter): a million rows read, checked and staged in 8.0 s
        instead of 8.8 on two cores (docs/performance.md)."""
        key = self.spec.key
        found = existing_keys(ok[key])
        if found:
            self.found.extend(found)
            registered = pl.col(key).is_in(pl.Series(found, dtype=pl.String).implode())
            self.accepted.append(ok.filter(registered))
            ok = ok.filter(~registered)
        if ok.is_empty():
            return
        if self.staging is None:
            self.staging = bulk.SqliteStaging(self.accepted.workdir())
            self.staging.prepare((Person, EBike))  # the jobs run no query
            self.staged_at = timezone.now()
            self.stager = bulk.Background("ebsafety-stage")
            self.person_ids = bulk.IdPool(lambda count: self._allocate_ids(Person, count))
        assert self.stager is not None and self.person_ids is not None
        if self.people is None:
            self.people = _registered_people(len(ok))
        lookups = None
        if not self.people.whole:  # too many people to read once: this chunk's owners looked up
            numbers, phones = _owner_keys(_owner_frame(ok))
            lookups = (people_by_id_number(numbers), people_by_name_phone(phones))
        bike_ids = self._allocate_ids(EBike, len(ok))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.stager.wait()  # the last chunk's job has ended: the people and the id pool are this thread's
        self.person_ids.ensure(len(ok))  # at most a new owner per bike
        self.stager.submit(self._stage_job, ok, bike_ids, lookups, now)
        self.staged.append(pl.Series("id", bike_ids, dtype=pl.Int64))

    def _stage_job(
        self,
        ok: pl.DataFrame,
        bike_ids: list[int],
        lookups: tuple[pl.DataFrame, pl.DataFrame] | None,
        now: Any,
    ) -> None:
        """On the stager's thread: the chunk's owners found among the people known so far (`lookups`: the
        registered ones of this chunk, when the registered are too many to read at once) or created, then
        the owners and the bikes staged. No query: ids come from the pool and `bike_ids`."""
        assert self.people is not None and self.person_ids is not None
        if lookups is not None:
            self.people.add(*lookups)
        owners = self._owner_ids(ok, self.people, now=now, allocate=self.person_ids.take)
        self._insert_bikes(ok, owners, ids=bike_ids, now=now)

    @staticmethod
    def _parsed(chunk: Chunk, position: int, row: int, issues: list[Issue], bad: set[int]) -> ParsedRow:
        return ParsedRow(row, {}, chunk.raw(position), errors=issues, bad_columns=bad)

    def _rule_error(self) -> pl.Expr:
        """`row_rules`' only error: neither an ID number nor a phone (when the file has both columns)."""
        if "owner_id_number" not in self.present or "owner_phone" not in self.present:
            return pl.lit(False)
        return _blank(pl.col("owner_id_number")) & _blank(pl.col("owner_phone"))

    def _apply_rules(self, ok: pl.DataFrame) -> pl.DataFrame:
        """`EBikeHandler.row_rules` as column expressions: compound, declaration, defaults, compliance."""
        unit, handler = self.unit, self.handler
        exprs: list[pl.Expr] = []
        w_compound = pl.lit(None, dtype=pl.String)
        if "compound" in ok.columns:
            compound = pl.col("compound")
            ids = compound.replace_strict(handler.compounds, default=None, return_dtype=pl.Int64)
            if unit.kind == UnitKind.COMPOUND:
                ids = pl.when(_blank(compound) | (compound == unit.name)).then(pl.lit(unit.pk)).otherwise(ids)
            exprs += [
                ids.alias("compound_id"),
                pl.when(ids.is_not_null() | _blank(compound))
                .then(pl.lit(""))
                .otherwise(compound)
                .alias("compound_text"),
            ]
            w_compound = (
                pl.when(~_blank(compound) & ids.is_null())
                .then(pl.format(f"小区“{{}}”不在{unit.name}下，已按文字保存", compound))
                .otherwise(None)
            )
        if "over_standard" in ok.columns:
            exprs.append(
                pl.when(pl.col("over_standard").is_null())
                .then(None)
                .otherwise(~pl.col("over_standard"))
                .alias("declared_compliant")
            )
        if "battery_count" in ok.columns:
            exprs.append(pl.col("battery_count").fill_null(1))
        if "use" in ok.columns:
            exprs.append(
                pl.when(_blank(pl.col("use")))
                .then(pl.lit(BikeUse.PRIVATE.value))
                .otherwise(pl.col("use"))
                .alias("use")
            )
        ok = ok.with_columns(exprs)  # compound and over_standard stay: matching re-runs row_rules on them
        declared = (
            pl.col("declared_compliant") if "declared_compliant" in ok.columns else pl.lit(None, pl.Boolean)
        )
        voltage = pl.col("battery_voltage") if "battery_voltage" in ok.columns else pl.lit(None, pl.Int64)
        plate = pl.col("plate_kind") if "plate_kind" in ok.columns else pl.lit(None, pl.String)
        temporary = (plate == PlateKind.TEMPORARY.value).fill_null(False)
        over = (voltage > MAX_COMPLIANT_VOLTAGE).fill_null(False)
        self_declared = (declared == False).fill_null(False)  # noqa: E712 (a column expression)
        # The reasons joined, nulls skipped ("" when there are none): string work, no list column per row.
        reasons = pl.concat_str(
            [
                pl.when(temporary).then(pl.lit("临时标识车辆（超标车）")),
                pl.when(over).then(pl.format(f"电池电压 {{}}V 超过 {MAX_COMPLIANT_VOLTAGE}V", voltage)),
                pl.when(self_declared).then(pl.lit("申报为超标车")),
            ],
            separator="；",
            ignore_nulls=True,
        )
        return ok.with_columns(
            is_compliant=~(temporary | over | self_declared),
            compliance_reason=reasons,
            w_compound=w_compound,
            w_plate=pl.when(temporary).then(pl.lit("临时标识（黄牌）车辆为超标车，应按计划淘汰")),
            w_voltage=pl.when(over & (declared == True).fill_null(False)).then(  # noqa: E712
                pl.format(
                    f"电池电压 {{}}V 超过 {MAX_COMPLIANT_VOLTAGE}V，申报为不超标，已标为不合规", voltage
                )
            ),
        )

    def _drop_duplicates(self, ok: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The first row of a frame number is kept (also across chunks); (kept, later duplicates)."""
        key = self.spec.key
        firsts = ok.group_by(key, maintain_order=True).agg(pl.col("_row").first().alias("_first"))
        if self.keys:
            earlier = _among(self.keys, key, ok[key])
            seen = earlier.select(key, _earlier="_row")
            firsts = (
                firsts.join(seen, on=key, how="left")
                .with_columns(_first=pl.coalesce("_earlier", "_first"))
                .drop("_earlier")
            )
        ok = ok.join(firsts, on=key, how="left", maintain_order="left")
        duplicate = pl.col("_first") != pl.col("_row")
        later = ok.filter(duplicate).select("_row", "_pos", key, "_first")
        return ok.filter(~duplicate).drop("_first"), later

    def _warning_list(self, warnings: list[pl.DataFrame]) -> IssueFrame:
        """The warnings in row order (per row in `row_rules`' order), kept as a frame."""
        texts = {
            "w_compound": self.handler.header_text("compound"),
            "w_plate": self.handler.header_text("plate_kind"),
            "w_voltage": self.handler.header_text("battery_voltage"),
        }
        noted = (
            pl.concat(warnings, rechunk=False)  # the list filters and sorts it into a frame of its own
            if warnings
            else pl.DataFrame(schema={"_row": pl.Int64, **dict.fromkeys(WARNINGS, pl.String)})
        )
        parts = [
            noted.filter(pl.col(name).is_not_null()).select(
                row=pl.col("_row").cast(pl.Int64),
                column=pl.lit(texts[name], dtype=pl.String),
                message=pl.col(name).cast(pl.String),
                _order=pl.lit(order, dtype=pl.Int8),
            )
            for order, name in enumerate(WARNINGS)
        ]
        return IssueFrame(pl.concat(parts).sort("row", "_order", maintain_order=True))

    # -- matching --------------------------------------------------------------------------------------
    def match(self, outcome: Any, plan_class: type) -> None:
        """Existing frame numbers → RowPlans through the handler's `match`; the rest are additions."""
        key = self.spec.key
        # the chunks' keys as they are (no copy), without their row numbers and hashes
        self.file_keys = (
            pl.concat([frame[key] for frame in self.keys], rechunk=False) if self.keys else pl.Series(key, [])
        )
        self.keys = []
        if self.file_keys.is_empty():
            return
        if not self.early:  # else `_stage` looked them up chunk by chunk, and kept only their rows
            self.found = existing_keys(self.file_keys)
        existing = (
            pl.concat(
                [frame.filter(pl.col(key).is_in(self.found)) for frame in self.accepted],
                how="diagonal_relaxed",
            )
            if self.found
            else pl.DataFrame()
        )
        plans = []
        for record in existing.iter_rows(named=True):
            parsed = ParsedRow(record["_row"], self._row_values(record), [])
            self.handler.row_rules(parsed)
            plans.append(plan_class(parsed, record[key]))
        self.handler.match(plans)
        self.existing = plans
        for plan in plans:
            if plan.action == "conflict":
                outcome.conflict_count += 1
                outcome.conflicts.append(
                    {
                        "row": plan.parsed.row,
                        "key": str(plan.key),
                        "message": plan.before.get("_conflict", ""),
                    }
                )
            elif plan.action == "change":
                outcome.changed += 1
            else:
                outcome.unchanged += 1
        self.added = len(self.file_keys) - len(existing)
        outcome.added = self.added

    def bulk_load(self) -> bool:
        """Are the new bikes a load that dwarfs the ledger (`bulk.atomic_load`)?"""
        return bulk.is_bulk_load(EBike, self.added)

    def close(self) -> None:
        """Remove the checked rows kept on disk (and the SQLite staging file, or stop the COPY thread)."""
        if self.stager is not None:  # a job still running (the check failed) ends first
            self.stager.stop()
            self.stager = None
        if self.staging is not None:
            self.staging.close()
            self.staging = None
        self.accepted.close()

    def _row_values(self, record: dict[str, Any]) -> dict[str, Any]:
        """The values as parse_rows gives them (before the row rules) for a row already through the rules."""
        values = {key: record.get(key) for key in self.present}
        return values

    def missing_from_file(self) -> list[dict[str, Any]]:
        """Active bikes of the unit whose frame number the file no longer lists (full mode)."""
        rows = EBike.objects.filter(unit=self.unit, status=RecordStatus.ACTIVE).values_list(
            "id", "frame_number", "plate_number"
        )
        listed = pl.DataFrame(
            list(rows.iterator(chunk_size=5000)), schema=["id", "key", "plate"], orient="row"
        )
        if listed.is_empty():
            return []
        missing = listed.join(
            pl.DataFrame({"key": self.file_keys}), on="key", how="anti", maintain_order="left"
        )
        return [{"id": pk, "key": frame, "label": plate or frame} for pk, frame, plate in missing.iter_rows()]

    # -- writing --------------------------------------------------------------------------------------
    def write(self, retire_ids: list[int], progress: Callable[..., None]) -> dict[str, Any]:
        """Changes and retirements through the handler, then the new bikes and their owners in bulk, a
        spilled chunk at a time. A first load that dwarfs the tables builds their indexes afterwards; the
        owners already registered are looked up before, while the indexes are there."""
        if self.early:
            # The staged rows first: the handler's changes then find the owners they created (a bike of the
            # file changed to a new owner who also has a new bike of the file). Their move copies pages in
            # order: the larger page cache of `load_settings` (32 MB) would only add to the import's memory.
            staged = self._write_staged(progress) if self.added else []
            with bulk.load_settings():
                written = self.handler.write(self.existing, retire_ids, progress)
            written["added"] = written["added"] + staged
            return written
        with bulk.load_settings():
            written = self.handler.write(self.existing, retire_ids, progress)
            if not self.added:
                return written
            started = time.perf_counter()
            people = self._known_people()
            self.timings["write_owners_s"] = time.perf_counter() - started
            self.timings["write_bikes_s"] = 0.0
            if (
                connection.vendor == "sqlite"
                and self.accepted.directory is not None
                and bulk.SqliteStaging.usable()
            ):
                self.staging = bulk.SqliteStaging(self.accepted.directory)
            with (
                bulk.indexes_deferred(Person, self.added) as people_alone,
                bulk.indexes_deferred(EBike, self.added) as bikes_alone,
            ):
                if connection.vendor == "postgresql":  # constants as defaults in the tables held alone
                    alone = [m for m, held in ((Person, people_alone), (EBike, bikes_alone)) if held]
                    self.staging = bulk.PostgresCopier(exclusive=alone)
                with bulk.foreign_keys_checked_once((Person, EBike), self.first_ids) as checked_once:
                    added = self._write_adds(people, progress)
                    if isinstance(self.staging, bulk.PostgresCopier):
                        self.staging.move()  # every row in before its keys are checked
                    loaded = time.perf_counter()
                if checked_once:
                    self.timings["write_key_checks_s"] = round(time.perf_counter() - loaded, 3)
                if isinstance(self.staging, bulk.SqliteStaging):
                    started = time.perf_counter()
                    self.staging.move()
                    self.timings["write_move_s"] = round(time.perf_counter() - started, 3)
                started = time.perf_counter()
            self.timings["write_indexes_s"] = round(time.perf_counter() - started, 3)
        for name in ("write_owners_s", "write_bikes_s"):
            self.timings[name] = round(self.timings[name], 3)
        if connection.vendor == "postgresql" and self.added >= ANALYZE_AFTER:
            # Fresh statistics, or the next queries (lists, exports) plan for the tables as they were.
            bulk.analyze_after_commit((Person, EBike))
        written["added"] = written["added"] + added
        return written

    def _write_staged(self, progress: Callable[..., None]) -> list[int]:
        """The new bikes and owners staged during the check, moved into the tables (bulk.load_settings is
        on); returns the bikes' ids. What happened meanwhile is checked first, inside the transaction: a
        row holding one of the reserved ids, or a frame number or person registered by another import
        since this file was checked, stops the import with nothing written (another import between the
        check and the write would otherwise fail on a unique index, or double a person without an ID
        number); rows staged on an earlier day than they are written get the write's timestamps (a
        half-month period may have ended meanwhile)."""
        from ebsafety.ledgers.importer import ImportRefused

        assert isinstance(self.staging, bulk.SqliteStaging)
        if self.staging.ids_taken():
            raise ImportRefused("本次导入预留的编号已被占用，未写入任何数据，请重新导入。")
        if self._registered_meanwhile():
            raise ImportRefused(
                "检查期间其他导入登记了本文件中的车辆或人员，本次导入未写入任何数据，请重新导入。"
            )
        now = timezone.now()
        if self.staged_at is not None and timezone.localdate(self.staged_at) != timezone.localdate(now):
            self.staging.restamp(("created", "updated"), connection.ops.adapt_datetimefield_value(now))
        progress(0, self.added, "正在写入新增车辆和人员")
        with bulk.indexes_deferred(Person, self.added), bulk.indexes_deferred(EBike, self.added):
            started = time.perf_counter()
            self.staging.move()
            progress(self.added, self.added, "正在重建索引")
            self.timings["write_move_s"] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
        self.timings["write_indexes_s"] = round(time.perf_counter() - started, 3)
        return pl.concat(self.staged).to_list() if self.staged else []

    def _registered_meanwhile(self) -> bool:
        """Has another import registered one of the staged frame numbers or people since they were
        looked up? (Nothing to compare with while a table is empty: a first census.)"""
        assert isinstance(self.staging, bulk.SqliteStaging)
        stage = connection.ops.quote_name(self.staging.attach())
        bikes, people = EBike._meta.db_table, Person._meta.db_table
        queries = [
            (
                bikes,
                f"SELECT 1 FROM {stage}.{bikes} AS s WHERE EXISTS "
                f"(SELECT 1 FROM main.{bikes} AS m WHERE m.frame_number = s.frame_number) LIMIT 1",
            ),
            (
                people,
                f"SELECT 1 FROM {stage}.{people} AS s WHERE NOT (s.id_number = '') AND EXISTS "
                f"(SELECT 1 FROM main.{people} AS m "
                "WHERE m.id_number = s.id_number AND NOT (m.id_number = '')) LIMIT 1",
            ),
            (
                people,
                f"SELECT 1 FROM {stage}.{people} AS s WHERE s.id_number = '' AND s.phone != '' "
                f"AND EXISTS (SELECT 1 FROM main.{people} AS m "
                "WHERE m.phone = s.phone AND m.name = s.name AND m.id_number = '') LIMIT 1",
            ),
        ]
        with connection.cursor() as cursor:
            for table, sql in queries:
                if table not in self.staging.tables:
                    continue
                cursor.execute(f"SELECT 1 FROM main.{table} LIMIT 1")
                if cursor.fetchone() is not None:
                    cursor.execute(sql)
                    if cursor.fetchone() is not None:
                        return True
        return False

    def _additions(self, columns: Sequence[str] | None = None) -> Iterator[pl.DataFrame]:
        """The rows to add (not already registered), chunk by chunk, optionally only some columns."""
        key = self.spec.key
        for chunk in self.accepted.read(columns=None if columns is None else [key, *columns]):
            adds = chunk.filter(~pl.col(key).is_in(self.found)) if self.found else chunk
            if not adds.is_empty():
                yield adds

    def _known_people(self) -> People:
        """The registered people the file's new bikes name: by ID number, else by name and phone. Few
        registered people (a first census: none) are read whole, without a pass over the file's rows to
        collect its owners' keys (1.8 s for a million rows)."""
        registered = _registered_people(self.added)
        if registered.whole:
            return registered
        owners = [c for c in ("owner_name", "owner_id_number", "owner_phone") if c in self.present]
        numbers = [pl.Series("id_number", [], pl.String)]
        phones = [pl.Series("phone", [], pl.String)]
        for adds in self._additions(owners):  # only the distinct keys of each chunk are kept, not its rows
            numbers_of, phones_of = _owner_keys(_owner_frame(adds))
            numbers.append(detached(numbers_of))
            phones.append(detached(phones_of))
        return People().add(
            people_by_id_number(pl.concat(numbers).unique()), people_by_name_phone(pl.concat(phones).unique())
        )

    def _write_adds(self, people: People, progress: Callable[..., None]) -> list[int]:
        added: list[int] = []
        now = connection.ops.adapt_datetimefield_value(timezone.now())  # one time for the whole import
        for adds in self._additions():
            started = time.perf_counter()
            owners = self._owner_ids(adds, people, now)
            self.timings["write_owners_s"] += time.perf_counter() - started
            started = time.perf_counter()
            added += self._insert_bikes(adds, owners, now=now)
            self.timings["write_bikes_s"] += time.perf_counter() - started
            progress(len(added), self.added)
        return added

    def _allocate_ids(self, model: Any, count: int) -> list[int]:
        if self.staging is not None:
            ids = self.staging.allocate_ids(model, count)
        else:
            ids = bulk.allocate_ids(model, count)
        if ids:
            self.first_ids.setdefault(model._meta.db_table, min(ids))
        return ids

    def _insert_bikes(
        self, adds: pl.DataFrame, owners: pl.Series, ids: list[int] | None = None, now: Any = None
    ) -> list[int]:
        """Insert (or stage) the new bikes, with `ids` when reserved already; returns their ids."""
        if ids is None:
            ids = self._allocate_ids(EBike, len(adds))
        if now is None:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
        batch_id = self.handler.batch.pk if self.handler.batch is not None else self.batch_id
        columns = {
            "id": pl.Series(ids, dtype=pl.Int64),
            "owner_id": owners,
            "frame_number": adds[self.spec.key],
        }
        for name in EBIKE_FIELDS:
            columns[name] = self._insert_column(adds, name)
        insert_columns = (
            "id", "created", "updated", "status", "retire_reason", "retired_on", "last_batch_id", "unit_id",
            "owner_id", "frame_number", "shop_id", *EBIKE_FIELDS,
        )  # fmt: skip
        constants = {
            "created": now,
            "updated": now,
            "status": RecordStatus.ACTIVE.value,
            "retire_reason": "",
            "retired_on": None,
            "last_batch_id": batch_id,
            "unit_id": self.unit.pk,
            "shop_id": None,
        }
        bulk.insert_columns(EBike, insert_columns, columns, constants, staging=self.staging)
        return ids

    def _insert_column(self, adds: pl.DataFrame, name: str) -> pl.Series:
        """A model column for the new bikes: the file's value, else the insert default, "" for blank text."""
        if name in adds.columns:
            series = adds[name]
        elif name in INSERT_DEFAULTS:
            series = pl.Series(name, [INSERT_DEFAULTS[name]] * len(adds))
        else:
            series = pl.Series(name, [None] * len(adds))
        if name in TEXT_FIELDS:
            series = series.cast(pl.String).fill_null("")
        if name == "registration_date" and self.vendor != "postgresql":
            series = series.cast(pl.String)  # SQLite stores ISO dates as text, as the ORM does
        return series

    def _owner_ids(
        self,
        adds: pl.DataFrame,
        people: People,
        now: Any = None,
        allocate: Callable[[int], list[int]] | None = None,
    ) -> pl.Series:
        """Person id of each new bike's owner: found by ID number, else by name and phone, else created
        (and then known to the later chunks); the new people take their ids from `allocate` when given."""
        frame = _owner_frame(adds).with_row_index("_i")
        by_id = frame.filter(pl.col("id_number") != "")
        by_name = frame.filter(pl.col("id_number") == "")
        known_ids, known_names = people.among(by_id["id_number"], by_name["phone"])
        new = pl.concat(
            [
                by_id.join(known_ids, on="id_number", how="anti").select("_i", "name", "id_number", "phone"),
                by_name.join(known_names, on=["name", "phone"], how="anti").select(
                    "_i", "name", "id_number", "phone"
                ),
            ]
        ).sort("_i")
        new = new.with_columns(
            _key=pl.when(pl.col("id_number") != "")
            .then(pl.col("id_number"))
            .otherwise(pl.concat_str("name", pl.lit("\x1f"), "phone"))
        ).unique("_key", keep="first", maintain_order=True)
        person_ids = allocate(len(new)) if allocate is not None else self._allocate_ids(Person, len(new))
        new = new.with_columns(id=pl.Series(person_ids, dtype=pl.Int64))
        if now is None:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
        bulk.insert_columns(
            Person,
            ("id", "created", "updated", "name", "id_number", "phone", "address", "unit_id"),
            {name: new[name] for name in ("id", "name", "id_number", "phone")},
            {"created": now, "updated": now, "address": "", "unit_id": self.unit.pk},
            staging=self.staging,
        )
        created_ids = detached(new.filter(pl.col("id_number") != "").select("id_number", "id"))
        created_names = detached(new.filter(pl.col("id_number") == "").select("name", "phone", "id"))
        people.add(created_ids, created_names)
        # Every owner is now known or just created, each key once (`new` holds the keys not known).
        known_ids = pl.concat([known_ids, created_ids])
        known_names = pl.concat([known_names, created_names])
        resolved = pl.concat(
            [
                by_id.join(known_ids, on="id_number", how="left").select("_i", "id"),
                by_name.join(known_names, on=["name", "phone"], how="left").select("_i", "id"),
            ]
        ).sort("_i")
        return resolved["id"]


class People:
    """The people new bikes may name, as frames: those registered before the import and those it created
    so far (ID number → id; name and phone → id, for people without an ID number), each frame with the
    hash of its look-up column (`_among`)."""

    def __init__(self, whole: bool = False) -> None:
        self.by_id_number = [pl.DataFrame(schema={"id_number": pl.String, "id": pl.Int64, "_h": pl.UInt64})]
        self.by_name_phone = [
            pl.DataFrame(schema={"name": pl.String, "phone": pl.String, "id": pl.Int64, "_h": pl.UInt64})
        ]
        self.whole = whole  # every registered person is in the lists (else only those looked up so far)

    def add(self, by_id_number: pl.DataFrame, by_name_phone: pl.DataFrame) -> People:
        """Known from now on: people by ID number (`id_number`, `id`) and by name and phone."""
        self.by_id_number.append(
            by_id_number.select("id_number", "id").with_columns(_h=by_id_number["id_number"].hash())
        )
        self.by_name_phone.append(
            by_name_phone.select("name", "phone", "id").with_columns(_h=by_name_phone["phone"].hash())
        )
        return self

    def among(self, numbers: pl.Series, phones: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Only those with one of these ID numbers or phones (a small frame to join a chunk with, not the
        million people a first census creates); by name and phone the first registered wins."""
        by_id = (
            _among(self.by_id_number, "id_number", numbers)
            .unique("id_number", keep="first", maintain_order=True)  # a registered one looked up twice
            .drop("_h")
        )
        by_name = (
            _among(self.by_name_phone, "phone", phones)
            .unique(["name", "phone"], keep="first", maintain_order=True)
            .drop("_h")
        )
        return by_id, by_name


def _among(frames: list[pl.DataFrame], column: str, values: pl.Series) -> pl.DataFrame:
    """The rows of `frames` (each with `_h`, the hash of its `column`) whose `column` is one of `values`.
    The hashes are compared first — integers, a scan 2.4× faster than of the text, over what grows to a
    million rows for every chunk — and the text only of the rows they pick."""
    candidates = pl.concat(frames).filter(pl.col("_h").is_in(values.hash().implode()))
    return candidates.filter(pl.col(column).is_in(values.implode()))


WHOLE_PEOPLE_MAX = 200_000  # registered people read at once (else looked up by the file's owners)


def _registered_people(rows: int) -> People:
    """Every registered person when there are few enough to read at once and not many more than the `rows`
    about to name them (a census of a young ledger), else empty lists to fill by look-ups (a few rows into
    a large town's ledger look their owners up)."""
    if not bulk.holds_at_most(Person, min(WHOLE_PEOPLE_MAX, max(rows, LOOKUP_CHUNK))):
        return People()
    everyone = Person.objects.values_list("id_number", "name", "phone", "id")
    frame = pl.DataFrame(
        list(everyone.iterator(chunk_size=5000)),
        schema={"id_number": pl.String, "name": pl.String, "phone": pl.String, "id": pl.Int64},
        orient="row",
    )
    # as `people_by_name_phone`: people without an ID number are matched by a phone only
    by_name = _first_by_name_phone(frame.filter((pl.col("id_number") == "") & (pl.col("phone") != "")))
    return People(whole=True).add(frame.filter(pl.col("id_number") != "").select("id_number", "id"), by_name)


def _owner_keys(owners: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """The distinct ID numbers, and the distinct phones of the owners without one."""
    numbers = owners.filter(pl.col("id_number") != "")["id_number"].unique()
    phones = owners.filter((pl.col("id_number") == "") & (pl.col("phone") != ""))["phone"].unique()
    return numbers, phones


def _owner_frame(adds: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "name": _col(adds, "owner_name").fill_null(""),
            "id_number": _col(adds, "owner_id_number").fill_null(""),
            "phone": _col(adds, "owner_phone").fill_null(""),
        }
    )


RULE_MESSAGE = "身份证号和手机号至少填写一项"


def _blank(expr: pl.Expr) -> pl.Expr:
    """`not value` of row_rules for a text value: null or ''."""
    return expr.is_null() | (expr.cast(pl.String) == "")


def _col(frame: pl.DataFrame, name: str) -> pl.Series:
    return (
        frame[name].cast(pl.String)
        if name in frame.columns
        else pl.Series(name, [None] * len(frame), pl.String)
    )


def _scan_whole_table(model: Any, keys: int) -> bool:
    """Cheaper to read the whole table than to look `keys` values up in it (a first census: the table
    holds no more rows than the file has keys)."""
    return keys > LOOKUP_CHUNK and bulk.holds_at_most(model, keys)


def existing_keys(keys: pl.Series) -> list[str]:
    """The frame numbers among `keys` that any unit has registered."""
    found: list[str] = []
    values = keys.unique()
    if _scan_whole_table(EBike, len(values)):
        registered = pl.Series("key", list(EBike.objects.values_list("frame_number", flat=True)), pl.String)
        return values.filter(values.is_in(registered.implode())).to_list()
    with connection.cursor() as cursor:
        for start in range(0, len(values), LOOKUP_CHUNK):
            part = values.slice(start, LOOKUP_CHUNK).to_list()  # a slice at a time: 1M str objects are 70 MB
            if connection.vendor == "postgresql":
                cursor.execute(
                    'SELECT frame_number FROM "ledgers_ebike" WHERE frame_number = ANY(%s)', [part]
                )
            else:
                marks = ", ".join(["%s"] * len(part))
                cursor.execute(
                    f'SELECT frame_number FROM "ledgers_ebike" WHERE frame_number IN ({marks})', part
                )
            found.extend(row[0] for row in cursor.fetchall())
    return found


def people_by_id_number(numbers: pl.Series) -> pl.DataFrame:
    rows: list[tuple[str, int]] = []
    if _scan_whole_table(Person, len(numbers)):
        everyone = Person.objects.exclude(id_number="").values_list("id_number", "id")
        frame = pl.DataFrame(list(everyone), schema={"id_number": pl.String, "id": pl.Int64}, orient="row")
        return frame.filter(pl.col("id_number").is_in(numbers.implode()))
    with connection.cursor() as cursor:
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            part = numbers.slice(start, LOOKUP_CHUNK).to_list()
            if connection.vendor == "postgresql":
                cursor.execute(
                    'SELECT id_number, id FROM "ledgers_person" '
                    "WHERE id_number = ANY(%s) AND NOT (id_number = '')",
                    [part],
                )
            else:
                marks = ", ".join(["%s"] * len(part))
                cursor.execute(
                    f'SELECT id_number, id FROM "ledgers_person" WHERE id_number IN ({marks}) '
                    "AND NOT (id_number = '')",  # the unique index's condition: SQLite then uses it
                    part,
                )
            rows.extend(cursor.fetchall())
    return pl.DataFrame(rows, schema={"id_number": pl.String, "id": pl.Int64}, orient="row")


def people_by_name_phone(phones: pl.Series) -> pl.DataFrame:
    """People without an ID number by (name, phone); the first of a pair wins, as in the row-wise engine."""
    rows: list[tuple[str, str, int]] = []
    values = phones.to_list()
    for part in bulk.chunks(values):
        rows.extend(Person.objects.filter(phone__in=part, id_number="").values_list("name", "phone", "id"))
    frame = pl.DataFrame(rows, schema={"name": pl.String, "phone": pl.String, "id": pl.Int64}, orient="row")
    return _first_by_name_phone(frame)


def _first_by_name_phone(people: pl.DataFrame) -> pl.DataFrame:
    """One person per (name, phone): the first registered (lowest id), whatever order the rows came in."""
    return (
        people.sort("id")
        .unique(["name", "phone"], keep="first", maintain_order=True)
        .select("name", "phone", "id")
    )


__all__ = ["EBikeImport", "dtype_of"]
