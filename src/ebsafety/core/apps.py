from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ebsafety.core"
    label = "core"
    verbose_name = "平台基础"

    def ready(self) -> None:
        from ebsafety.core import parameters, signals  # noqa: F401  (connect audit signals, register parameters)
