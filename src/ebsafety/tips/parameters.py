"""Campaign parameters of the rewarded-tips measure (the base amount `tip_reward_amount` and the reporting
phone `tip_phone` are defined by core). Imported from TipsConfig.ready()."""

from __future__ import annotations

import decimal

from ebsafety.core.parameters import Parameter, define

GROUP = "有奖举报"

define(
    Parameter(
        "tip_reward_major_amount",
        "重大隐患举报奖励（元）",
        "decimal",
        decimal.Decimal("500"),
        "经核查属实且认定为重大隐患的举报",
        GROUP,
    )
)
define(
    Parameter(
        "tip_reward_stopped_amount",
        "举报并制止的奖励（元）",
        "decimal",
        decimal.Decimal("300"),
        "举报人当场劝阻、制止了违规行为",
        GROUP,
    )
)
define(
    Parameter(
        "tip_reward_helped_amount",
        "举报并协助处置的奖励（元）",
        "decimal",
        decimal.Decimal("400"),
        "举报人协助物业或检查人员完成处置",
        GROUP,
    )
)
define(
    Parameter(
        "tip_duplicate_window_days",
        "重复举报判定天数",
        "int",
        14,
        "同一小区或楼栋、同一类别、在此天数内的举报列为可能重复",
        GROUP,
        1,
        365,
    )
)
