from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    """大检查 · 联合执法 · 大督查: inspections, hazards, enforcement cases, supervision visits."""

    name = "ebsafety.inspections"
    label = "inspections"
    verbose_name = "检查与执法"
