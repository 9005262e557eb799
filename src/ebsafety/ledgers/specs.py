"""Column specs: one definition per ledger kind drives the template, the importer's headers and the export.

A `Column` names its header as the template writes it, the aliases clerks use for it, how a cell is parsed
(a function from `normalise`), whether it is required, and the rule in Chinese for the instructions sheet.
Enumerations list their allowed labels and every spelling accepted for each.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import models

from ebsafety.ledgers import normalise as n
from ebsafety.ledgers.choices import (
    BatteryKind,
    BikeUse,
    ChargingMethod,
    LedgerKind,
    ParkingPlace,
    PlateKind,
    PlatformKind,
    ShopBusiness,
)


def header_key(value: Any) -> str:
    """Header text as compared with the aliases: half-width, no spaces or asterisks, lower case."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(text.split()).replace("*", "").replace("※", "").lower()


@dataclass(frozen=True)
class Enumeration:
    """An enumeration's labels (from its TextChoices) and every accepted spelling of each value."""

    choices: type[models.TextChoices]
    spellings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def labels(self) -> dict[str, str]:
        return {value: str(label) for value, label in self.choices.choices}

    @property
    def aliases(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for value, label in self.labels.items():
            for spelling in (label, value, *self.spellings.get(value, ())):
                table[header_key(spelling)] = value
        return table

    def parse(self, value: Any) -> str:
        return n.choice(value, self._aliases, self.labels)

    def parse_list(self, value: Any) -> list[str]:
        return n.choices_list(value, self._aliases, self.labels)

    @property
    def _aliases(self) -> dict[str, str]:
        cached = self.__dict__.get("_alias_cache")
        if cached is None:
            cached = self.aliases
            object.__setattr__(self, "_alias_cache", cached)
        return cached


PLATE_KINDS = Enumeration(
    PlateKind,
    {
        PlateKind.FORMAL: ("正式", "白牌", "正式牌照", "正式号牌", "号牌", "正式车牌"),
        PlateKind.TEMPORARY: ("临时", "黄牌", "临牌", "临时号牌", "临时牌照", "临时标识牌"),
        PlateKind.DELIVERY: ("外卖号牌", "快递号牌", "专用号牌", "外卖快递专用号牌"),
        PlateKind.NONE: ("无", "无牌照", "无号牌", "未上牌", "没有", "未挂牌"),
    },
)
BATTERY_KINDS = Enumeration(
    BatteryKind,
    {
        BatteryKind.LEAD_ACID: ("铅酸电池", "铅酸蓄电池", "铅蓄电池", "铅电池"),
        BatteryKind.LITHIUM: ("锂电池", "锂电", "锂离子电池", "锂", "锂离子蓄电池"),
    },
)
USES = Enumeration(
    BikeUse,
    {
        BikeUse.PRIVATE: ("自用", "私用", "个人", "家用", "通勤", "个人使用"),
        BikeUse.DELIVERY: ("外卖配送", "送外卖"),
        BikeUse.COURIER: ("快递配送", "送快递"),
    },
)
PARKING_PLACES = Enumeration(
    ParkingPlace,
    {
        ParkingPlace.SHED: ("车棚", "集中车棚", "小区车棚", "非机动车棚", "集中停放点"),
        ParkingPlace.GARAGE: ("车库", "地库", "地下室"),
        ParkingPlace.OPEN_GROUND: ("空地", "楼下", "楼前", "露天"),
        ParkingPlace.COURTYARD: ("院内", "自家院子", "院子"),
        ParkingPlace.LOBBY: ("门厅", "大堂", "楼门厅", "一层门厅"),
        ParkingPlace.CORRIDOR: ("走廊", "楼梯间", "楼道内", "过道"),
        ParkingPlace.INDOOR: ("家中", "屋内", "入户"),
    },
)
CHARGING_METHODS = Enumeration(
    ChargingMethod,
    {
        ChargingMethod.CENTRALISED: ("集中", "集中充电点", "充电站"),
        ChargingMethod.PILE: ("充电桩充电",),
        ChargingMethod.CABINET: ("充电柜充电", "换电柜"),
        ChargingMethod.BATTERY_SWAP: ("换电站", "换电池"),
        ChargingMethod.INDOOR: ("室内充电", "家中充电", "入户", "屋内充电", "带电池回家"),
        ChargingMethod.FLYING_LEAD: ("飞线", "私拉电线", "私拉乱接"),
    },
)
SHOP_BUSINESSES = Enumeration(
    ShopBusiness,
    {
        ShopBusiness.SALES: ("销售整车", "卖车"),
        ShopBusiness.REPAIR: ("修理", "维修保养"),
        ShopBusiness.MODIFICATION: ("改装车",),
        ShopBusiness.BATTERIES: ("蓄电池", "电瓶", "销售电池", "电池销售"),
    },
)
PLATFORM_KINDS = Enumeration(
    PlatformKind, {PlatformKind.DELIVERY: ("外卖平台",), PlatformKind.COURIER: ("快递公司",)}
)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: Callable[[Any], Any]
    aliases: tuple[str, ...] = ()
    required: bool = False
    rule: str = ""
    enumeration: Enumeration | None = None
    many: bool = False  # several enumeration values in one cell
    text: bool = False  # free text: not folded to half-width
    width: int = 14

    def header_keys(self) -> set[str]:
        return {header_key(h) for h in (self.header, *self.aliases)}


def enum_column(key: str, header: str, enumeration: Enumeration, **kw: Any) -> Column:
    allowed = "、".join(enumeration.labels.values())
    rule = kw.pop("rule", "") or f"从下拉列表选择：{allowed}"
    parse = enumeration.parse_list if kw.get("many") else enumeration.parse
    return Column(key, header, parse, enumeration=enumeration, rule=rule, **kw)


def _text(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        result = n.text(value)
        if len(result) > max_length:
            raise n.CellError(f"不能超过 {max_length} 个字（现为 {len(result)} 个）")
        return result

    return parse


def _code(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        result = n.code(value)
        if len(result) > max_length:
            raise n.CellError(f"不能超过 {max_length} 个字符（现为 {len(result)} 个）")
        return result

    return parse


@dataclass(frozen=True)
class LedgerSpec:
    kind: str
    title: str
    columns: tuple[Column, ...]
    key: str  # the natural key's column key
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return LedgerKind(self.kind).label

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]


EBIKE = LedgerSpec(
    kind=LedgerKind.EBIKE,
    title="电动自行车基础信息排查台账",
    key="frame_number",
    columns=(
        Column(
            "compound",
            "小区名称",
            _text(100),
            ("小区", "所在小区", "小区名", "居住小区"),
            text=True,
            rule="本村（社区）下的小区名称；系统中找不到时按地址文字保存",
            width=16,
        ),
        Column(
            "building",
            "楼栋单元",
            _text(50),
            ("楼栋", "楼号", "楼栋号", "单元", "楼栋及单元", "门牌号"),
            text=True,
            width=14,
        ),
        Column(
            "owner_name",
            "车主姓名",
            _text(50),
            ("姓名", "车主", "所有人", "使用人", "车主名称"),
            required=True,
            text=True,
            rule="必填",
        ),
        Column(
            "owner_id_number",
            "身份证号",
            n.id_number,
            ("身份证号码", "证件号码", "身份证", "车主身份证号"),
            rule="18 位居民身份证号（GB 11643），校验位须正确；请将该列设为“文本”，以免 Excel 改写末尾数字；"
            "与手机号至少填一项",
            width=22,
        ),
        Column(
            "owner_phone",
            "手机号",
            n.mobile,
            ("联系电话", "联系方式", "手机号码", "电话", "手机", "车主电话"),
            rule="1 开头的 11 位手机号；与身份证号至少填一项",
            width=15,
        ),
        enum_column(
            "plate_kind",
            "号牌类型",
            PLATE_KINDS,
            aliases=("牌照类型", "号牌种类", "车牌类型", "号牌"),
            required=True,
        ),
        Column("plate_number", "车牌号", _code(20), ("号牌号码", "牌照号", "车牌号码", "号牌号", "车牌")),
        Column("brand", "品牌", _text(50), ("车辆品牌", "厂牌"), text=True),
        Column("model_name", "型号", _text(50), ("车辆型号", "规格型号"), text=True),
        Column(
            "frame_number",
            "车架号",
            _code(40),
            ("车架号码", "整车编码", "车辆识别码", "车辆识别代号", "车架编号"),
            required=True,
            rule="必填；同一车架号在全镇只能登记一次",
            width=20,
        ),
        Column("motor_number", "电机号", _code(40), ("电机号码", "电机编号", "电动机号"), width=18),
        enum_column(
            "battery_kind",
            "电池类型",
            BATTERY_KINDS,
            aliases=("电瓶类型", "蓄电池类型", "电池种类", "电池"),
            required=True,
        ),
        Column(
            "battery_count",
            "电池数量",
            partial(n.integer, minimum=0, maximum=20),
            ("电瓶数量", "电池块数", "电池个数", "蓄电池数量"),
            rule="0–20 的整数，空白按 1 块计",
        ),
        Column(
            "battery_voltage",
            "电池电压(V)",
            partial(n.integer, minimum=6, maximum=200, unit_suffixes=("V", "伏")),
            ("电池电压", "电压", "电压(V)", "电瓶电压"),
            rule="整数伏数，如 48；超过 48V 视为超标",
        ),
        Column(
            "over_standard",
            "是否超标",
            n.boolean,
            ("超标", "是否超标车", "超标车"),
            rule="是/否（也可写 Y/N、√/×）",
        ),
        enum_column("use", "车辆用途", USES, aliases=("用途", "使用性质")),
        enum_column(
            "parking_place", "停放地点", PARKING_PLACES, aliases=("停放位置", "停车地点", "停放场所")
        ),
        enum_column(
            "charging_method", "充电方式", CHARGING_METHODS, aliases=("充电地点", "充电情况", "充电位置")
        ),
        Column(
            "registration_date",
            "登记日期",
            n.date,
            ("登记时间", "排查日期", "登记日", "采集日期"),
            rule="如 2026-11-03、2026/11/3、2026年11月3日；不能晚于今天",
            width=14,
        ),
        Column("remark", "备注", _text(200), ("说明",), text=True, width=20),
    ),
    notes=(
        "一车一行；“车主姓名”“号牌类型”“车架号”“电池类型”必填；身份证号与手机号至少填一项。",
        "临时标识（黄牌）车辆为超标车，应按计划淘汰；电池电压超过 48V 的车辆视为超标。",
        "表头上方可以有标题行，表格下方可以有“合计”“填表人”“审核人”“填报日期”等行，导入时自动忽略。",
    ),
)

SHOP = LedgerSpec(
    kind=LedgerKind.SHOP,
    title="电动自行车销售维修门店台账",
    key="credit_code",
    columns=(
        Column(
            "name",
            "门店名称",
            _text(100),
            ("名称", "店名", "商户名称", "经营者名称", "单位名称"),
            required=True,
            text=True,
            width=24,
        ),
        Column(
            "credit_code",
            "统一社会信用代码",
            n.credit_code,
            ("信用代码", "社会信用代码", "营业执照号", "统一代码"),
            required=True,
            rule="18 位统一社会信用代码（GB 32100），校验位须正确",
            width=22,
        ),
        Column("address", "经营地址", _text(200), ("地址", "门店地址", "店铺地址"), text=True, width=28),
        enum_column(
            "businesses",
            "经营范围",
            SHOP_BUSINESSES,
            aliases=("经营类别", "业务"),
            many=True,
            rule="销售、维修、改装、电池，多项用顿号分隔",
        ),
        Column("contact", "负责人", _text(50), ("联系人", "法定代表人", "经营者"), text=True),
        Column("phone", "联系电话", n.phone, ("手机号", "联系方式", "电话"), rule="手机号或固定电话"),
    ),
)

RECYCLER = LedgerSpec(
    kind=LedgerKind.RECYCLER,
    title="蓄电池回收储存场所台账",
    key="credit_code",
    columns=(
        Column(
            "name",
            "场所名称",
            _text(100),
            ("名称", "单位名称", "企业名称"),
            required=True,
            text=True,
            width=24,
        ),
        Column(
            "credit_code",
            "统一社会信用代码",
            n.credit_code,
            ("信用代码", "社会信用代码", "统一代码"),
            required=True,
            rule="18 位统一社会信用代码（GB 32100）",
            width=22,
        ),
        Column("address", "地址", _text(200), ("场所地址", "经营地址"), text=True, width=28),
        Column(
            "licence_number",
            "危险废物经营许可证编号",
            _code(50),
            ("许可证编号", "危废许可证号", "经营许可证号"),
            width=22,
        ),
        Column(
            "licence_valid_until",
            "许可证有效期至",
            partial(n.date, allow_future=True),
            ("有效期至", "许可证有效期"),
            rule="日期",
        ),
        Column("contact", "负责人", _text(50), ("联系人",), text=True),
        Column("phone", "联系电话", n.phone, ("手机号", "联系方式", "电话")),
    ),
)

PLATFORM = LedgerSpec(
    kind=LedgerKind.PLATFORM,
    title="外卖快递平台台账",
    key="credit_code",
    columns=(
        Column(
            "name",
            "平台名称",
            _text(100),
            ("名称", "企业名称", "公司名称"),
            required=True,
            text=True,
            width=24,
        ),
        enum_column("kind", "类型", PLATFORM_KINDS, aliases=("平台类型", "行业"), required=True),
        Column(
            "credit_code",
            "统一社会信用代码",
            n.credit_code,
            ("信用代码", "社会信用代码"),
            required=True,
            width=22,
        ),
        Column("contact", "负责人", _text(50), ("联系人",), text=True),
        Column("phone", "联系电话", n.phone, ("手机号", "联系方式", "电话")),
    ),
)

STATION = LedgerSpec(
    kind=LedgerKind.STATION,
    title="外卖快递站点台账",
    key="name",
    columns=(
        Column(
            "platform",
            "所属平台",
            _text(100),
            ("平台", "平台名称", "公司"),
            required=True,
            text=True,
            rule="已登记的平台名称或其统一社会信用代码",
            width=20,
        ),
        Column("name", "站点名称", _text(100), ("名称", "站点"), required=True, text=True, width=24),
        Column("address", "站点地址", _text(200), ("地址",), text=True, width=28),
        Column("manager", "站长", _text(50), ("负责人", "联系人"), text=True),
        Column("manager_phone", "站长电话", n.mobile, ("联系电话", "手机号", "电话")),
    ),
)

RIDER = LedgerSpec(
    kind=LedgerKind.RIDER,
    title="外卖快递骑手台账",
    key="id_number",
    columns=(
        Column("name", "姓名", _text(50), ("骑手姓名", "从业人员姓名"), required=True, text=True),
        Column("id_number", "身份证号", n.id_number, ("身份证号码", "证件号码"), required=True, width=22),
        Column("phone", "手机号", n.mobile, ("联系电话", "手机号码", "电话")),
        Column(
            "platform",
            "所属平台",
            _text(100),
            ("平台", "平台名称", "公司"),
            required=True,
            text=True,
            width=20,
        ),
        Column("station", "所属站点", _text(100), ("站点", "站点名称"), text=True, width=20),
        Column(
            "frame_numbers",
            "车架号",
            _text(300),
            ("车架号码", "车辆车架号"),
            rule="所骑车辆的车架号，多辆用顿号分隔",
            width=22,
        ),
        Column("battery_count", "电池数量", partial(n.integer, minimum=0, maximum=20), ("电瓶数量",)),
        enum_column("charging_method", "充电方式", CHARGING_METHODS, aliases=("充电地点",)),
        Column(
            "housing_address", "住宿地址", _text(200), ("居住地址", "住址", "租住地址"), text=True, width=28
        ),
        Column("is_group_rental", "是否群租", n.boolean, ("群租",)),
        Column("uses_centralised_charging", "是否集中充电", n.boolean, ("集中充电",)),
    ),
)

SPECS: dict[str, LedgerSpec] = {s.kind: s for s in (EBIKE, SHOP, RECYCLER, PLATFORM, STATION, RIDER)}


def spec_for(kind: str) -> LedgerSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"未知的台账类型“{kind}”（应为：{'、'.join(SPECS)}）") from None
