"""The REST API of tips: the public endpoints (`public`, no login) and the staff endpoints (`staff`)."""

from ebsafety.tips.api.public import TipCategoryListView, TipStatusView, TipSubmitView

__all__ = ["TipCategoryListView", "TipStatusView", "TipSubmitView"]
