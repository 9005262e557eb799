"""Enumerations of the ledgers. Labels are data: the Chinese the clerks and the office use."""

from django.db import models


class LedgerKind(models.TextChoices):
    EBIKE = "ebike", "电动自行车"
    SHOP = "shop", "销售维修门店"
    RECYCLER = "recycler", "蓄电池回收储存场所"
    PLATFORM = "platform", "外卖快递平台"
    STATION = "station", "外卖快递站点"
    RIDER = "rider", "外卖快递骑手"


class PlateKind(models.TextChoices):
    FORMAL = "formal", "正式号牌"
    TEMPORARY = "temporary", "临时标识"
    DELIVERY = "delivery", "外卖专用号牌"
    NONE = "none", "无牌"


class BatteryKind(models.TextChoices):
    LEAD_ACID = "lead_acid", "铅酸"
    LITHIUM = "lithium", "锂离子"


class BikeUse(models.TextChoices):
    PRIVATE = "private", "自用"
    DELIVERY = "delivery", "外卖"
    COURIER = "courier", "快递"


class ChargingMethod(models.TextChoices):
    CENTRALISED = "centralised", "集中充电"
    PILE = "pile", "充电桩"
    CABINET = "cabinet", "充电柜"
    BATTERY_SWAP = "battery_swap", "换电"
    INDOOR = "indoor", "入户充电"
    FLYING_LEAD = "flying_lead", "飞线充电"
    OTHER = "other", "其他"


class ParkingPlace(models.TextChoices):
    SHED = "shed", "小区集中车棚"
    GARAGE = "garage", "地下车库"
    OPEN_GROUND = "open_ground", "楼前空地"
    COURTYARD = "courtyard", "自家院内"
    LOBBY = "lobby", "单元门厅"
    CORRIDOR = "corridor", "楼道"
    INDOOR = "indoor", "室内"
    OTHER = "other", "其他"


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    RETIRED = "retired", "已注销"


class RetireReason(models.TextChoices):
    SCRAPPED = "scrapped", "报废"
    TRADED_IN = "traded_in", "以旧换新"
    MOVED_AWAY = "moved_away", "迁出"
    ELIMINATED = "eliminated", "超标车淘汰"
    CLOSED = "closed", "停业"
    OTHER = "other", "其他"


class ShopBusiness(models.TextChoices):
    SALES = "sales", "销售"
    REPAIR = "repair", "维修"
    MODIFICATION = "modification", "改装"
    BATTERIES = "batteries", "电池"


class PlatformKind(models.TextChoices):
    DELIVERY = "delivery", "外卖"
    COURIER = "courier", "快递"


class ImportMode(models.TextChoices):
    FULL = "full", "全量（本单位完整台账）"
    INCREMENTAL = "incremental", "增量（只新增和更新）"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "待确认"
    COMMITTED = "committed", "已导入"
    CANCELLED = "cancelled", "已取消"
    FAILED = "failed", "失败"


class SubmissionStatus(models.TextChoices):
    """How a half-month submission came in (stored: decided by the first file that counted)."""

    ON_TIME = "on_time", "按时"
    LATE = "late", "逾期"


class PeriodStatus(models.TextChoices):
    """A reporter's state for one period and ledger kind, as the tables show it (computed, never stored):
    a submission's status, or missing (deadline passed, nothing submitted), or open (deadline still ahead)."""

    ON_TIME = "on_time", "按时"
    LATE = "late", "逾期"
    MISSING = "missing", "未报"
    OPEN = "open", "待报"
