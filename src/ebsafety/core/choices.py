"""Enumerations of the core app. Labels are data (Chinese as the campaign uses it)."""

from django.db import models


class UnitKind(models.TextChoices):
    CITY = "city", "市"
    DISTRICT = "district", "区"
    TOWN = "town", "镇"
    STREET = "street", "街道"
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    PARK = "park", "园区"
    COMPOUND = "compound", "小区"
    BUILDING = "building", "楼栋"


class DepartmentKind(models.TextChoices):
    OFFICE = "office", "平安建设办公室（消防工作站）"
    ECONOMIC = "economic", "经济发展办公室"
    CONSTRUCTION = "construction", "城乡建设办公室"
    COMMUNITY_AFFAIRS = "community_affairs", "社区建设办公室"
    PARTY_AFFAIRS = "party_affairs", "党群工作办公室"
    LAW_ENFORCEMENT = "law_enforcement", "综合行政执法队"
    POLICE = "police", "派出所"
    FIRE = "fire", "消防救援站"
    POWER = "power", "供电所"
    ZONE_BUREAU = "zone_bureau", "开发区主管部门"
    OTHER = "other", "其他"


class Sector(models.TextChoices):
    """The fields a sector department answers for (管行业必须管安全)."""

    MARKET = "market", "销售门店与蓄电池储存"
    DELIVERY = "delivery", "外卖"
    COURIER = "courier", "快递"
    PLATES = "plates", "号牌与超标车"
    RECYCLING = "recycling", "废旧电池回收"
    PROPERTY = "property", "物业管理"
    PUBLICITY = "publicity", "宣传"
    ENFORCEMENT = "enforcement", "综合执法"
    FIRE_SAFETY = "fire_safety", "消防安全"
    PUBLIC_SECURITY = "public_security", "治安"
    CHARGING = "charging", "充电设施建设"
    POWER_SUPPLY = "power_supply", "供电"


class Role(models.TextChoices):
    OFFICE = "office", "整治办（镇防火委办公室）"
    LEADER = "leader", "领导（只读）"
    DEPARTMENT = "department", "行业部门"
    LOCALITY = "locality", "属地（村/社区/园区）"
    PROPERTY = "property", "物业"
    INSPECTOR = "inspector", "检查员"
    VOLUNTEER = "volunteer", "志愿者（红袖标）"
    TIPS_OFFICER = "tips_officer", "举报受理员"
    PLATFORM = "platform", "外卖/快递平台"


class Action(models.TextChoices):
    VIEW = "view", "查看"
    ADD = "add", "新增"
    CHANGE = "change", "修改"
    DELETE = "delete", "删除"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "筹备"
    ACTIVE = "active", "进行中"
    CLOSED = "closed", "已结束"


class ChangeAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    # Viewing personal data unmasked (an ID or phone number revealed on a detail page or through the API).
    VIEW = "view", "查看个人信息"
    # Exporting records with their personal data unmasked (one record per export, naming the rows' count).
    EXPORT = "export", "导出个人信息"


class ChangeSource(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "接口"
    CLI = "cli", "命令行"
    TASK = "task", "后台任务"
    SYSTEM = "system", "系统"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"
