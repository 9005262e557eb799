from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "ebsafety.tips"
    label = "tips"
    verbose_name = "有奖举报"

    def ready(self) -> None:
        from ebsafety.tips import parameters  # noqa: F401  (registers the campaign parameters)
