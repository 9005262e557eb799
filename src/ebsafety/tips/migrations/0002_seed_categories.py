"""Seed the public tip categories from the campaign's hazard list (DOMAIN.md, "Hazard categories").

The codes double as the inspections app's hazard category codes (inspections/seed.py); the office may rename, reorder or switch
off categories afterwards. Safe to run twice: existing codes are left as they are."""

from django.db import migrations

CATEGORIES = [
    ("indoor_charging", "电动自行车或电池进楼入户、室内充电"),
    ("corridor_parking", "在门厅、楼道、楼梯间或安全出口停放、充电"),
    ("flying_lead", "飞线充电、私拉电线"),
    ("lift", "电动自行车或电池进电梯"),
    ("illegal_modification", "非法改装（换电机电池、拆限速、加车篷等）"),
    ("non_compliant", "超标车辆或超标电池"),
    ("worn_out", "二手、报废的车辆、电池、充电器"),
    ("three_in_one", "“三合一”场所（住人、储存、经营一体）"),
    ("group_rental", "群租房内停放、充电"),
    ("charging_point_deficient", "充电点无灭火器、监控或自动断电"),
    ("blocked_evacuation", "堵塞疏散通道"),
    ("other", "其他电动自行车消防隐患"),
]


def seed(apps, schema_editor):
    TipCategory = apps.get_model("tips", "TipCategory")
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        TipCategory.objects.get_or_create(
            code=code, defaults={"name": name, "hazard_category_code": code, "sort_order": order * 10}
        )


def unseed(apps, schema_editor):
    TipCategory = apps.get_model("tips", "TipCategory")
    TipCategory.objects.filter(code__in=[code for code, _ in CATEGORIES], tips__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("tips", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
