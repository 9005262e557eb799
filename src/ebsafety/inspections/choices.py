"""Enumerations of the inspections app. Labels are data (Chinese as the campaign uses it)."""

from django.db import models


class TargetKind(models.TextChoices):
    """What an inspection looks at; a checklist template exists per kind."""

    COMPOUND = "compound", "小区"
    BUILDING = "building", "楼栋"
    SHOP = "shop", "销售维修门店"
    STATION = "station", "外卖快递站点"
    RECYCLING_SITE = "recycling_site", "蓄电池回收储存场所"
    ADDRESS = "address", "其他地址（城中村、群租房等）"


class CheckResult(models.TextChoices):
    OK = "ok", "合格"
    HAZARD = "hazard", "有隐患"
    NOT_APPLICABLE = "na", "不适用"


class Severity(models.TextChoices):
    GENERAL = "general", "一般隐患"
    MAJOR = "major", "重大隐患"


class HazardSource(models.TextChoices):
    INSPECTION = "inspection", "检查发现"
    VOLUNTEER = "volunteer", "志愿者（红袖标）上报"
    TIP = "tip", "群众举报"
    DEVICE = "device", "设备告警"
    OFFICE = "office", "整治办交办"
    SUPERVISION = "supervision", "督查发现"


class HazardStatus(models.TextChoices):
    """The lifecycle of a hazard. Only `inspections.services` moves a hazard between these."""

    REPORTED = "reported", "已上报待确认"
    CONFIRMED = "confirmed", "已确认"
    ORDERED = "ordered", "整改中"
    OVERDUE = "overdue", "逾期未整改"
    RECTIFIED = "rectified", "已整改待复查"
    REINSPECTED = "reinspected", "复查合格待销号"
    CLOSED = "closed", "已销号"
    ESCALATED = "escalated", "已升级处理"
    DISMISSED = "dismissed", "不属实已驳回"


OPEN_STATUSES = frozenset(
    {
        HazardStatus.REPORTED,
        HazardStatus.CONFIRMED,
        HazardStatus.ORDERED,
        HazardStatus.OVERDUE,
        HazardStatus.RECTIFIED,
        HazardStatus.REINSPECTED,
        HazardStatus.ESCALATED,
    }
)
# Statuses in which the responsible party still has to act before a deadline.
RECTIFYING_STATUSES = frozenset({HazardStatus.ORDERED, HazardStatus.OVERDUE})


class EscalationKind(models.TextChoices):
    CASE = "case", "移送执法立案"
    DEPARTMENT = "department", "移交行业部门"


class PartyKind(models.TextChoices):
    PERSON = "person", "个人"
    ORGANISATION = "organisation", "单位"


class PenaltyKind(models.TextChoices):
    WARNING = "warning", "警告"
    FINE = "fine", "罚款"
    ORDER_TO_CORRECT = "order_to_correct", "责令改正"
    SEALING = "sealing", "查封"
    STOP_BUSINESS = "stop_business", "责令停产停业（停止使用）"
    LICENCE_REVOCATION = "licence_revocation", "吊销许可证照"
    QUALIFICATION_CANCELLATION = "qualification_cancellation", "取消资格"
    EXPOSURE = "exposure", "公开曝光"
    INTERVIEW = "interview", "约谈"
    POLICE_REFERRAL = "police_referral", "移交公安机关"


class PenaltyParty(models.TextChoices):
    """Whom a penalty rule applies to (the range differs)."""

    BUSINESS = "business", "经营性单位"
    UNIT = "unit", "单位"
    INDIVIDUAL = "individual", "个人"
    PROPERTY = "property", "物业服务企业"
    ANY = "any", "不限"


class CaseStatus(models.TextChoices):
    OPEN = "open", "已立案"
    DECIDED = "decided", "已作出处理决定"
    CLOSED = "closed", "已结案"


class FindingKind(models.TextChoices):
    HAZARD = "hazard", "转为隐患"
    FOLLOW_UP = "follow_up", "督办事项"
