"""The demo town: a realistic synthetic town built the same way for the same seed.

`ebsafety demo [--seed N] [--scale town|district]` calls `build_demo`. Later apps add their data through
`settings.DEMO_BUILDERS` (each `builder(town_units, rng, scale)`).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from ebsafety.core.choices import CampaignStatus, DepartmentKind, Role, Sector, UnitKind
from ebsafety.core.models import Campaign, Department, Membership, Unit, User

DEMO_PASSWORD = "Ebsafety-2026"

VILLAGE_NAMES = [
    "前辛庄",
    "后辛庄",
    "东营",
    "西营",
    "南大庄",
    "北大庄",
    "小王庄",
    "大王庄",
    "李家务",
    "张家务",
    "马各庄",
    "刘各庄",
    "孙村",
    "赵村",
    "高庄",
    "周营",
    "吴庄",
    "郑家庄",
    "鹿圈",
    "三间房",
]
COMMUNITY_NAMES = [
    "金桥",
    "和顺",
    "康泰",
    "瑞和",
    "福源",
    "嘉园",
    "锦绣",
    "润泽",
    "安居",
    "惠民",
    "兴业",
    "长乐",
]
COMPOUND_WORDS = ["家园", "花园", "嘉苑", "雅居", "新城", "名苑", "公寓", "小区", "馨园", "佳苑"]
COMPOUND_PREFIXES = [
    "和谐",
    "幸福",
    "阳光",
    "翠林",
    "枫景",
    "绿地",
    "金色",
    "春晓",
    "泰和",
    "怡然",
    "丽景",
    "星河",
    "云锦",
    "宏福",
    "海棠",
    "紫薇",
    "清华",
    "融泽",
    "天恒",
    "宜居",
    "润园",
    "博雅",
    "龙湖",
    "学府",
]
TOWN_NAMES = ["瀛海", "旧宫", "亦庄", "青云店", "长子营", "采育", "礼贤", "安定", "魏善庄", "榆垡"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂英建华国强"


@dataclass
class DemoResult:
    units: int = 0
    departments: int = 0
    users: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role label, where)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _unit(code: str, name: str, kind: str, parent: Unit | None, rng: random.Random, **extra: Any) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, parent=parent, **extra)
    unit.save()
    return unit


def build_town(code: str, name: str, parent: Unit | None, rng: random.Random, with_buildings: bool) -> Unit:
    """One town: ~20 villages and communities, two parks, ~60 compounds (with buildings at town scale)."""
    town = _unit(code, f"{name}镇", UnitKind.TOWN, parent, rng, households=28000, population=86000)
    villages = rng.sample(VILLAGE_NAMES, 12)
    communities = rng.sample(COMMUNITY_NAMES, 8)
    localities: list[Unit] = []
    for index, village in enumerate(villages, start=1):
        households = rng.randrange(300, 1500)
        localities.append(
            _unit(
                f"{code}2{index:02d}",
                f"{village}村",
                UnitKind.VILLAGE,
                town,
                rng,
                households=households,
                population=households * rng.randrange(25, 35) // 10,
                is_fringe=rng.random() < 0.4,
                address=f"{name}镇{village}村",
            )
        )
    for index, community in enumerate(communities, start=1):
        households = rng.randrange(1500, 6000)
        localities.append(
            _unit(
                f"{code}0{index:02d}",
                f"{community}社区",
                UnitKind.COMMUNITY,
                town,
                rng,
                households=households,
                population=households * rng.randrange(24, 30) // 10,
                address=f"{name}镇{community}社区",
            )
        )
    for index, park in enumerate(("金桥园区", "物流园区"), start=1):
        localities.append(
            _unit(f"{code}4{index:02d}", park, UnitKind.PARK, town, rng, address=f"{name}镇{park}")
        )
    communities_units = [u for u in localities if u.kind == UnitKind.COMMUNITY]
    village_units = [u for u in localities if u.kind == UnitKind.VILLAGE]
    compound_names = rng.sample([p + w for p in COMPOUND_PREFIXES for w in COMPOUND_WORDS], 60)
    for index, compound_name in enumerate(compound_names, start=1):
        # Most compounds sit in communities; a fifth are new estates on village land.
        parent_unit = rng.choice(village_units) if index % 5 == 0 else rng.choice(communities_units)
        households = rng.randrange(200, 2400)
        compound = _unit(
            f"{parent_unit.code}-C{index:02d}",
            compound_name,
            UnitKind.COMPOUND,
            parent_unit,
            rng,
            households=households,
            population=households * 27 // 10,
            address=f"{parent_unit.address}{compound_name}",
        )
        if with_buildings:
            for building in range(1, rng.randrange(2, 8) + 1):
                _unit(
                    f"{compound.code}-B{building:02d}",
                    f"{compound_name}{building}号楼",
                    UnitKind.BUILDING,
                    compound,
                    rng,
                    households=rng.randrange(24, 180),
                )
    return town


DEPARTMENTS = [
    ("D01", "镇平安建设办公室（消防工作站）", DepartmentKind.OFFICE, [Sector.FIRE_SAFETY, Sector.CHARGING]),
    ("D02", "镇经济发展办公室（市场所）", DepartmentKind.ECONOMIC, [Sector.MARKET]),
    ("D03", "镇经济发展办公室（经发科）", DepartmentKind.ECONOMIC, [Sector.DELIVERY, Sector.COURIER]),
    ("D04", "经开区商务金融局", DepartmentKind.ZONE_BUREAU, [Sector.MARKET]),
    ("D05", "镇城乡建设办公室（交通安委会）", DepartmentKind.CONSTRUCTION, [Sector.PLATES]),
    ("D06", "镇城乡建设办公室（环保科）", DepartmentKind.CONSTRUCTION, [Sector.RECYCLING]),
    ("D07", "镇社区建设办公室（社会办）", DepartmentKind.COMMUNITY_AFFAIRS, [Sector.PROPERTY]),
    ("D08", "镇党群工作办公室（宣传部）", DepartmentKind.PARTY_AFFAIRS, [Sector.PUBLICITY]),
    ("D09", "镇综合行政执法队", DepartmentKind.LAW_ENFORCEMENT, [Sector.ENFORCEMENT, Sector.CHARGING]),
    ("D10", "第一派出所", DepartmentKind.POLICE, [Sector.PUBLIC_SECURITY, Sector.MARKET]),
    ("D11", "第二派出所", DepartmentKind.POLICE, [Sector.PUBLIC_SECURITY, Sector.MARKET]),
    ("D12", "镇消防救援站", DepartmentKind.FIRE, [Sector.FIRE_SAFETY]),
    ("D13", "镇供电所", DepartmentKind.POWER, [Sector.POWER_SUPPLY, Sector.CHARGING]),
]


def build_departments(town: Unit, rng: random.Random, prefix: str = "") -> list[Department]:
    departments = []
    localities = list(Unit.objects.filter(parent=town).exclude(kind=UnitKind.PARK).order_by("code"))
    half = len(localities) // 2
    for code, name, kind, sectors in DEPARTMENTS:
        department = Department.objects.create(
            code=f"{prefix}{code}",
            name=name,
            kind=kind,
            sectors=[str(s) for s in sectors],
            unit=town,
            contact=person_name(rng),
            phone=f"010-{rng.randrange(60000000, 69999999)}",
        )
        # The two police stations split the town between them; every other department serves all of it.
        if code == "D10":
            department.served_units.set(localities[:half])
        elif code == "D11":
            department.served_units.set(localities[half:])
        departments.append(department)
    return departments


def _account(
    username: str,
    display: str,
    role: str,
    rng: random.Random,
    *,
    unit: Unit | None = None,
    department: Department | None = None,
    staff: bool = False,
) -> User:
    user = User(
        username=username,
        display_name=display,
        is_staff=staff,
        phone=f"1{rng.choice('3589')}{rng.randrange(100000000, 999999999)}",
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    Membership.objects.create(user=user, role=role, unit=unit, department=department)
    return user


def build_accounts(
    town: Unit, departments: list[Department], rng: random.Random
) -> list[tuple[str, str, str]]:
    village = Unit.objects.filter(parent=town, kind=UnitKind.VILLAGE).order_by("code").first()
    community = Unit.objects.filter(parent=town, kind=UnitKind.COMMUNITY).order_by("code").first()
    compound = Unit.objects.filter(parent=community, kind=UnitKind.COMPOUND).order_by("code").first()
    # build_units() made villages, communities and their compounds
    assert village is not None and community is not None and compound is not None
    market = next(d for d in departments if d.code.endswith("D02"))
    plan = [
        ("office", "整治办 王主任", Role.OFFICE, town, None, True),
        ("leader", "镇领导 李镇长", Role.LEADER, town, None, False),
        ("market", "市场所 张所长", Role.DEPARTMENT, None, market, False),
        ("village", f"{village.name} 村委会", Role.LOCALITY, village, None, False),
        ("community", f"{community.name} 居委会", Role.LOCALITY, community, None, False),
        ("property", f"{compound.name} 物业", Role.PROPERTY, compound, None, False),
        ("inspector", "检查员 刘队员", Role.INSPECTOR, town, None, False),
        ("volunteer", "红袖标 赵大妈", Role.VOLUNTEER, community, None, False),
        ("tips", "举报受理员 陈专员", Role.TIPS_OFFICER, town, None, False),
        ("platform", "外卖平台 站务", Role.PLATFORM, town, None, False),
    ]
    accounts = []
    for username, display, role, unit, department, staff in plan:
        _account(username, display, role, rng, unit=unit, department=department, staff=staff)
        accounts.append((username, Role(role).label, str(department or unit)))
    return accounts


def build_campaign(town: Unit, today: datetime.date) -> Campaign:
    start = today.replace(day=1) - datetime.timedelta(days=56)
    end = start + datetime.timedelta(days=180)
    return Campaign.objects.create(
        name=f"{town.name}电动自行车领域消防安全专项整治",
        unit=town,
        start_date=start,
        end_date=end,
        status=CampaignStatus.ACTIVE,
        description="按照市区镇三级部署开展的为期六个月的专项整治。",
        parameters={
            "census_deadline": (start + datetime.timedelta(days=21)).isoformat(),
            "ledger_update_day_1": 15,
            "ledger_update_day_2": 0,
            "workday_end": "17:30",
            "responsibility_deadline": (start + datetime.timedelta(days=45)).isoformat(),
            "min_teams_per_compound": 1,
            "first_response_minutes": 3,
            "charging_first_batch_date": (start + datetime.timedelta(days=90)).isoformat(),
            "charging_all_compounds_date": datetime.date(start.year, 12, 31).isoformat(),
            "tip_reward_amount": "200",
            "tip_phone": "010-12345678",
            "supervision_visits_per_month": 2,
            "work_plan_deadline": (start + datetime.timedelta(days=7)).isoformat(),
            "dispatch_meeting_interval_days": 14,
        },
    )


@transaction.atomic
def build_demo(seed: int = 2026, scale: str = "town", today: datetime.date | None = None) -> DemoResult:
    """Build the demo data set into an empty database. The same seed gives the same town."""
    rng = random.Random(seed)
    today = today or datetime.date(2026, 11, 30)
    result = DemoResult()
    if scale == "district":
        root = _unit("110115", "示范区", UnitKind.DISTRICT, None, rng)
        towns = [
            build_town(f"110115{100 + i:03d}", name, root, rng, with_buildings=False)
            for i, name in enumerate(rng.sample(TOWN_NAMES, 7), start=1)
        ]
    elif scale == "town":
        towns = [build_town("110115101", rng.choice(TOWN_NAMES), None, rng, with_buildings=True)]
    else:
        raise ValueError("scale must be 'town' or 'district'")
    town = towns[0]
    departments = build_departments(town, rng)
    for index, other in enumerate(towns[1:], start=2):
        build_departments(other, rng, prefix=f"T{index}")
    result.users = build_accounts(town, departments, rng)
    for each in towns:
        build_campaign(each, today)
    for path in getattr(settings, "DEMO_BUILDERS", []):
        import_string(path)(towns, rng, scale)
    result.units = Unit.objects.count()
    result.departments = Department.objects.count()
    return result
