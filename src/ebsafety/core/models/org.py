"""The org tree (Unit) and the sector departments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Concat, Substr
from django.urls import reverse

from ebsafety.core.choices import DepartmentKind, Role, Sector, UnitKind
from ebsafety.core.models.base import ALL_ACTIONS, READ, BaseModel, ScopedQuerySet

PATH_SEPARATOR = "/"
UNIT_CODE_VALIDATOR = RegexValidator(r"^[A-Za-z0-9_.-]+$", "编码只能由字母、数字、点、下划线和连字符组成。")


class UnitQuerySet(ScopedQuerySet["Unit"]):
    def subtree(self, unit: Unit) -> Self:
        """The unit and everything below it: one indexed prefix match on the materialised path."""
        return self.filter(path__startswith=unit.path)

    def descendants(self, unit: Unit) -> Self:
        return self.subtree(unit).exclude(pk=unit.pk)

    def ancestors_of(self, unit: Unit) -> Self:
        return self.filter(code__in=unit.ancestor_codes).order_by("depth")


if TYPE_CHECKING:
    # The manager class `UnitQuerySet.as_manager()` builds, as a type (the mypy plugin knows it).
    UnitManager = models.Manager.from_queryset(UnitQuerySet)


class Unit(BaseModel):
    """A node of the org tree: city → district → town/street → village/community/park → compound → building.

    `path` is the materialised path of unit codes ("/110115/110115001/110115001201/"), so "this unit and all
    below" is one prefix match whatever the depth. Codes are known before the row is inserted, so the path is
    written with the row (no second save); a changed code or parent re-roots the subtree in one UPDATE.
    """

    code = models.CharField("编码", max_length=32, unique=True, validators=[UNIT_CODE_VALIDATOR])
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("树路径", max_length=1024, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField("层级", editable=False, default=0)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    population = models.PositiveIntegerField("人口", null=True, blank=True)
    is_fringe = models.BooleanField("城乡结合部", default=False)
    address = models.CharField("地址", max_length=200, blank=True)

    objects: ClassVar[UnitManager] = UnitQuerySet.as_manager()

    scope_unit_path: ClassVar[str | None] = ""
    role_actions: ClassVar[dict[str, frozenset[str]]] = {
        Role.OFFICE: ALL_ACTIONS,
        **{role: READ for role in Role.values if role != Role.OFFICE},
    }

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        indexes = [
            # "this unit and all below": path LIKE '/1/7/%' on PostgreSQL needs the pattern opclass.
            models.Index(fields=["path"], name="unit_path_like", opclasses=["varchar_pattern_ops"]),
            # children of a unit by kind (tree pages, demo, ranking per kind)
            models.Index(fields=["parent", "kind"], name="unit_parent_kind"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:unit_detail", args=[self.pk])

    @property
    def ancestor_codes(self) -> list[str]:
        return [part for part in self.path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR) if part]

    def audit_unit_path(self) -> str:
        return self.path

    def full_name(self) -> str:
        names = dict(Unit.objects.filter(code__in=self.ancestor_codes).values_list("code", "name"))
        return " / ".join(names.get(code, "?") for code in self.ancestor_codes)

    def clean(self) -> None:
        super().clean()
        if self.parent_id is not None and self.pk is not None:
            parent = self.parent
            assert parent is not None  # parent_id is set
            if parent.pk == self.pk or (self.path and parent.path.startswith(self.path)):
                raise ValidationError({"parent": "上级单位不能是本单位或其下级单位（会形成循环）。"})

    audit_exclude: ClassVar[frozenset[str]] = frozenset({"updated", "path", "depth"})

    def save(self, *args: Any, **kwargs: Any) -> None:
        old_path = self._loaded_values.get("path", "") if hasattr(self, "_loaded_values") else ""
        parent = self.parent  # None, without a query, when parent_id is None
        parent_path = parent.path if parent is not None else PATH_SEPARATOR
        if self.pk is not None and old_path and parent_path.startswith(old_path):
            raise ValidationError({"parent": "上级单位不能是本单位或其下级单位（会形成循环）。"})
        self.path = f"{parent_path}{self.code}{PATH_SEPARATOR}"
        self.depth = self.path.count(PATH_SEPARATOR) - 2
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                # Re-root every descendant in one statement (path is derived data: no change records).
                Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1)),
                    depth=models.F("depth") + (self.depth - (old_path.count(PATH_SEPARATOR) - 2)),
                )


class Department(BaseModel):
    """A sector body (town office, police station, fire station …) and the sectors it answers for.

    It belongs to a unit (the town, district…) and serves the units in `served_units`, or its own unit's
    whole subtree when none are listed.
    """

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=32, choices=DepartmentKind.choices)
    sectors = models.JSONField("负责行业", default=list, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="departments"
    )
    served_units = models.ManyToManyField(
        Unit, verbose_name="服务的辖区", blank=True, related_name="serving_departments"
    )
    contact = models.CharField("联系人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)

    scope_department_path: ClassVar[str | None] = ""
    role_actions: ClassVar[dict[str, frozenset[str]]] = Unit.role_actions

    class Meta:
        verbose_name = "行业部门"
        verbose_name_plural = "行业部门"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:department_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        unknown = [s for s in (self.sectors or []) if s not in Sector.values]
        if unknown:
            raise ValidationError({"sectors": f"未知的行业：{', '.join(map(str, unknown))}"})

    def sector_labels(self) -> list[str]:
        labels = dict(Sector.choices)
        return [labels.get(s, s) for s in self.sectors or []]

    def served_paths(self) -> list[str]:
        """Paths of the subtrees this department serves (cached per instance)."""
        if not hasattr(self, "_served_paths"):
            paths = list(self.served_units.values_list("path", flat=True))
            self._served_paths = paths or [self.unit.path]
        return self._served_paths

    def served_units_q(self, unit_path: str) -> Q:
        q = Q(pk__in=[])
        prefix = f"{unit_path}__path__startswith" if unit_path else "path__startswith"
        for path in self.served_paths():
            q |= Q(**{prefix: path})
        return q
