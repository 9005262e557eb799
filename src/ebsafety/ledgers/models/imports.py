"""Import batches: every ledger file submitted, with its original, who, when and the outcome."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse

from ebsafety.core.models import BaseModel, Job, Unit
from ebsafety.core.models.base import AuditedModel
from ebsafety.ledgers import scoping as ledger_scoping
from ebsafety.ledgers.choices import ImportMode, ImportStatus, LedgerKind


def original_upload_to(batch: ImportBatch, filename: str) -> str:
    return f"imports/{batch.kind}/{batch.unit.code}/{filename}"


class ImportBatch(BaseModel):
    """One submitted file. It is the audit record of an import: the file as uploaded, the per-row outcome
    (counts, errors, warnings, conflicts) and the lists of records added, changed and retired."""

    kind = models.CharField("台账类型", max_length=10, choices=LedgerKind.choices)
    unit = models.ForeignKey(
        Unit, verbose_name="填报单位", on_delete=models.PROTECT, related_name="import_batches"
    )
    mode = models.CharField(
        "导入方式", max_length=12, choices=ImportMode.choices, default=ImportMode.INCREMENTAL
    )
    status = models.CharField(
        "状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    original_file = models.FileField("原始文件", upload_to=original_upload_to, max_length=300)
    original_name = models.CharField("文件名", max_length=200)
    file_size = models.PositiveBigIntegerField("文件大小", default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    job = models.ForeignKey(Job, verbose_name="后台任务", null=True, blank=True, on_delete=models.SET_NULL)
    counts = models.JSONField("统计", default=dict, blank=True)
    errors = models.JSONField("错误（前若干条）", default=list, blank=True)
    warning_list = models.JSONField("提示（前若干条）", default=list, blank=True)
    conflicts = models.JSONField("冲突", default=list, blank=True)
    to_retire = models.JSONField("拟注销", default=list, blank=True)
    changes = models.JSONField("变更对象（摘要）", default=dict, blank=True)
    error_report = models.FileField("错误报告", upload_to="imports/reports/", blank=True, max_length=300)
    # the rejected rows as submitted, from which the error report is drawn when first downloaded
    rejected_file = models.FileField("被拒绝的行", upload_to="imports/rejected/", blank=True, max_length=300)
    outcome_file = models.FileField("逐行结果", upload_to="imports/outcomes/", blank=True, max_length=300)
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)
    message = models.CharField("说明", max_length=300, blank=True)

    audit_exclude: ClassVar[frozenset[str]] = frozenset({"updated", "changes", "errors", "warning_list"})

    scope_q_for_membership = ledger_scoping.platform_nothing  # platform accounts (see ledgers/scoping.py)

    class Meta:
        verbose_name = "台账导入批次"
        verbose_name_plural = "台账导入批次"
        ordering = ["-created"]
        indexes = [
            # the submissions of a unit for a ledger kind (submission pages, "as of period P")
            models.Index(fields=["unit", "kind", "-created"], name="batch_unit_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.unit} · {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("ledgers:importbatch_detail", args=[self.pk])

    @property
    def has_error_report(self) -> bool:
        """Rows were rejected: the error report can be downloaded (drawn on first download)."""
        return bool(self.error_report or self.rejected_file)

    def count(self, key: str) -> Any:
        return (self.counts or {}).get(key, 0)


class LedgerSnapshot(AuditedModel):
    """A ledger frozen at the end of a half-month period (`ledgers.as_of`): every active record as it stood
    then, in a Parquet file. Town-wide; readers narrow it to what they may see. Written by the scheduler or
    `ebsafety ledger snapshot`, never edited; taking or replacing one is a change record like any other."""

    kind = models.CharField("台账类型", max_length=10, choices=LedgerKind.choices)
    period_start = models.DateField("半月期（起始日）")
    taken_at = models.DateTimeField("生成时间")
    rows = models.PositiveIntegerField("记录数", default=0)
    file = models.FileField("快照文件", upload_to="ledgers/snapshots/", max_length=300)

    class Meta:
        verbose_name = "期末台账快照"
        verbose_name_plural = "期末台账快照"
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_start"], name="snapshot_kind_period_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.period_start:%Y-%m-%d}"
