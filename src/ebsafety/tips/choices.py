"""Enumerations of the tips app. Labels are data (Chinese as the campaign uses it)."""

from django.db import models


class TipStatus(models.TextChoices):
    NEW = "new", "待分拣"
    ACCEPTED = "accepted", "已受理，转隐患处置"
    FORWARDED = "forwarded", "已移交区级部门核查"
    DUPLICATE = "duplicate", "重复举报，已合并"
    REJECTED = "rejected", "不予受理"
    VERIFIED = "verified", "核查完毕"


OPEN_STATUSES = (TipStatus.ACCEPTED, TipStatus.FORWARDED)


class TipSource(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "接口"
    HOTLINE = "hotline", "举报电话"


class Outcome(models.TextChoices):
    TRUE = "true", "属实"
    PARTLY = "partly", "部分属实"
    FALSE = "false", "不属实"


class Handover(models.TextChoices):
    NONE = "", "—"
    CREATED = "created", "已生成隐患"
    PENDING = "pending", "待转隐患（隐患模块未启用）"


class RewardTier(models.TextChoices):
    REPORTED = "reported", "举报属实"
    STOPPED = "stopped", "举报并制止"
    HELPED = "helped", "举报并协助处置"


class RewardStatus(models.TextChoices):
    PROPOSED = "proposed", "待审批"
    APPROVED = "approved", "已批准，待发放"
    PAID = "paid", "已发放"
    DECLINED = "declined", "不予奖励"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "现金"
    BANK = "bank", "银行转账"
    WECHAT = "wechat", "微信转账"
    ALIPAY = "alipay", "支付宝转账"
    OTHER = "other", "其他"


class PublicRewardStatus(models.TextChoices):
    """What the public status page says about the reward of one tip."""

    NONE = "none", "暂无"
    PROPOSED = "proposed", "奖励审批中"
    APPROVED = "approved", "奖励已批准，待发放"
    PAID = "paid", "奖励已发放"
    DECLINED = "declined", "不予奖励"
