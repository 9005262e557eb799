"""The catalogues' starting data, from DOMAIN.md ("Hazard categories", "Penalties"): hazard categories with
their default deadlines, a checklist per target kind, and penalty rules with amounts the office edits.

`seed_catalogues()` is idempotent: it adds what is missing and never overwrites the office's edits. The
migration runs it once; tests and the demo call it again after a database flush.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# code, name, description, deadline in working days, default severity, sector
CATEGORIES: list[tuple[str, str, str, int, str, str]] = [
    (
        "indoor_charging",
        "车辆或电池进户、室内充电",
        "电动自行车或蓄电池带入室内停放、充电",
        3,
        "general",
        "property",
    ),
    (
        "corridor_parking",
        "门厅楼道停放或充电",
        "在公共门厅、疏散走道、楼梯间、安全出口停放或充电",
        1,
        "general",
        "property",
    ),
    ("flying_lead", "飞线充电、私拉电线", "从楼上或窗户拉线充电、私拉乱接电线插座", 1, "general", "property"),
    ("lift", "车辆或电池进电梯", "电动自行车或蓄电池进入电梯轿厢", 1, "general", "property"),
    (
        "illegal_modification",
        "非法改装",
        "更换电机或电池、拆除限速、加装车篷座椅、篡改编码等",
        5,
        "general",
        "plates",
    ),
    (
        "non_compliant",
        "超标车或超标电池",
        "不符合强制性国家标准的车辆或电池（如 72V 电池）",
        10,
        "general",
        "plates",
    ),
    (
        "worn_out",
        "二手老旧车辆电池充电器",
        "二手、老旧、破损的电动自行车、蓄电池、充电器",
        5,
        "general",
        "market",
    ),
    ("three_in_one", "“三合一”场所", "住宿与生产、仓储、经营合用的场所", 3, "major", "fire_safety"),
    ("group_rental", "群租", "群租房内停放、充电电动自行车或电池", 10, "general", "public_security"),
    (
        "charging_point_deficient",
        "充电场所设施不全",
        "集中充电场所未配置灭火器、视频监控或自动断电等设施",
        10,
        "general",
        "charging",
    ),
    (
        "blocked_evacuation",
        "占用堵塞疏散通道",
        "占用、堵塞、封闭疏散通道、安全出口",
        1,
        "major",
        "fire_safety",
    ),
    (
        "shop_violation",
        "门店违规销售或改装",
        "销售不合格车辆电池，或提供非法改装服务",
        5,
        "general",
        "market",
    ),
    ("other", "其他隐患", "", 5, "general", ""),
]

CHECKLISTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "compound": (
        "小区检查表",
        [
            ("门厅、楼道、楼梯间、安全出口无电动自行车停放或充电", "corridor_parking"),
            ("无飞线充电、私拉电线", "flying_lead"),
            ("电梯阻车系统正常，无车辆或电池进电梯", "lift"),
            ("集中充电场所配有灭火器、视频监控和自动断电", "charging_point_deficient"),
            ("疏散通道、安全出口畅通", "blocked_evacuation"),
            ("无车辆或电池进户充电", "indoor_charging"),
        ],
    ),
    "building": (
        "楼栋检查表",
        [
            ("门厅、楼道、楼梯间无电动自行车停放或充电", "corridor_parking"),
            ("无飞线充电、私拉电线", "flying_lead"),
            ("无车辆或电池进电梯", "lift"),
            ("疏散通道、安全出口畅通", "blocked_evacuation"),
        ],
    ),
    "shop": (
        "销售维修门店检查表",
        [
            ("不销售不合格车辆和电池", "shop_violation"),
            ("不提供非法改装服务", "illegal_modification"),
            ("店内无住人，未形成“三合一”", "three_in_one"),
            ("不销售二手、翻新电池和充电器", "worn_out"),
            ("疏散通道畅通", "blocked_evacuation"),
        ],
    ),
    "station": (
        "外卖快递站点检查表",
        [
            ("骑手车辆、电池符合标准", "non_compliant"),
            ("集中充电设施完好、配有灭火器和监控", "charging_point_deficient"),
            ("站点内无住人，未形成“三合一”", "three_in_one"),
            ("无飞线充电", "flying_lead"),
        ],
    ),
    "recycling_site": (
        "蓄电池回收储存场所检查表",
        [
            ("废旧电池分区存放，远离住人区域", "three_in_one"),
            ("不向个人出售翻新电池", "worn_out"),
            ("消防设施完好，通道畅通", "blocked_evacuation"),
        ],
    ),
    "address": (
        "城中村、群租房检查表",
        [
            ("无群租房内停放、充电", "group_rental"),
            ("无车辆或电池进户充电", "indoor_charging"),
            ("无飞线充电、私拉电线", "flying_lead"),
            ("未形成“三合一”场所", "three_in_one"),
        ],
    ),
}

# code, violation, legal basis, party, kind, min, max
PENALTIES: list[tuple[str, str, str, str, str, str | None, str | None]] = [
    (
        "highrise_parking_business",
        "在高层民用建筑公共门厅、疏散走道、楼梯间、安全出口停放或充电，拒不改正",
        "《高层民用建筑消防安全管理规定》第四十七条",
        "business",
        "fine",
        "2000",
        "10000",
    ),
    (
        "highrise_parking_other",
        "在高层民用建筑公共门厅、疏散走道、楼梯间、安全出口停放或充电，拒不改正",
        "《高层民用建筑消防安全管理规定》第四十七条",
        "individual",
        "fine",
        "500",
        "1000",
    ),
    (
        "fire_regs_97_unit",
        "在公共门厅、疏散走道、楼梯间、安全出口或电梯轿厢内停放、充电，拒不改正",
        "《北京市消防条例》第九十七条",
        "unit",
        "fine",
        "2000",
        "10000",
    ),
    (
        "fire_regs_97_individual",
        "在公共门厅、疏散走道、楼梯间、安全出口或电梯轿厢内停放、充电，拒不改正",
        "《北京市消防条例》第九十七条",
        "individual",
        "fine",
        "500",
        "1000",
    ),
    (
        "blocked_evacuation_unit",
        "占用、堵塞、封闭疏散通道、安全出口",
        "《中华人民共和国消防法》第六十条第一款",
        "unit",
        "fine",
        "5000",
        "50000",
    ),
    (
        "blocked_evacuation_individual",
        "占用、堵塞、封闭疏散通道、安全出口（个人：警告或罚款）",
        "《中华人民共和国消防法》第六十条第二款",
        "individual",
        "fine",
        None,
        "500",
    ),
    (
        "property_failed_duty",
        "物业服务企业未履行劝阻、报告义务",
        "《高层民用建筑消防安全管理规定》第四十七条",
        "property",
        "fine",
        "500",
        "1000",
    ),
    (
        "negligent_fire",
        "过失引起火灾",
        "《中华人民共和国消防法》第六十四条",
        "individual",
        "police_referral",
        None,
        None,
    ),
    (
        "shop_non_compliant",
        "销售不符合强制性国家标准的电动自行车，或为非法改装提供便利",
        "《北京市非机动车管理条例》",
        "business",
        "licence_revocation",
        None,
        None,
    ),
]


def seed_catalogues(apps: Any = None) -> None:
    """Add the missing catalogue rows (by code / target kind); rows the office edited stay as they are."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    category_model = apps.get_model("inspections", "HazardCategory")
    template_model = apps.get_model("inspections", "ChecklistTemplate")
    item_model = apps.get_model("inspections", "ChecklistItem")
    rule_model = apps.get_model("inspections", "PenaltyRule")
    categories = {}
    for order, (code, name, description, days, severity, sector) in enumerate(CATEGORIES, start=1):
        categories[code], _ = category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "deadline_days": days,
                "default_severity": severity,
                "sector": sector,
                "sort_order": order * 10,
            },
        )
    for kind, (name, items) in CHECKLISTS.items():
        if template_model.objects.filter(target_kind=kind).exists():
            continue
        template = template_model.objects.create(name=name, target_kind=kind, is_active=True)
        for order, (text, category) in enumerate(items, start=1):
            item_model.objects.create(
                template=template, text=text, category=categories[category], sort_order=order * 10
            )
    for code, violation, basis, party, kind, low, high in PENALTIES:
        rule_model.objects.get_or_create(
            code=code,
            defaults={
                "violation": violation,
                "legal_basis": basis,
                "party": party,
                "kind": kind,
                "min_amount": Decimal(low) if low else None,
                "max_amount": Decimal(high) if high else None,
            },
        )
