"""Serializers of the staff tips API: what a tip and a reward look like to staff (the reporter masked unless
the context says `reveal`), and the inputs of the hotline entry and of each action. Inputs only parse
types and narrow related records to the caller's scope; the rules stay in `ebsafety.tips.services`."""

from __future__ import annotations

from rest_framework import serializers

from ebsafety.core.api.base import ScopedRelatedMixin
from ebsafety.core.models import Department, Unit
from ebsafety.tips import disclosure, services
from ebsafety.tips.choices import PaymentMethod, RewardTier
from ebsafety.tips.models import Reward, Tip, TipCategory, TipTransition


def _not_found(label: str) -> dict[str, str]:
    return {
        "does_not_exist": f"{label}不存在或不在您的管辖范围内。",
        "invalid": f"{label}编码无效。",
        "incorrect_type": f"{label}编号无效。",
    }


class TipTransitionSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: the tip's status enum is described once, on the tip.
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = TipTransition
        fields = ["from_status", "to_status", "actor_label", "at", "note"]


class TipSerializer(serializers.ModelSerializer):
    """A tip as staff see it. `reporter_name` / `reporter_phone` are masked unless the serializer's context
    says `reveal` (a tips officer's retrieve, logged by `disclosure.reporter_for`)."""

    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="new, accepted, forwarded, duplicate, rejected, verified"
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_anonymous = serializers.BooleanField(read_only=True)
    reporter_name = serializers.SerializerMethodField()
    reporter_phone = serializers.SerializerMethodField()
    transitions = TipTransitionSerializer(many=True, read_only=True)

    class Meta:
        model = Tip
        fields = [
            "id",
            "tracking_code",
            "source",
            "category",
            "category_name",
            "description",
            "unit",
            "unit_name",
            "address",
            "status",
            "status_display",
            "is_anonymous",
            "contact_consent",
            "reporter_name",
            "reporter_phone",
            "duplicate_of",
            "reject_reason",
            "department",
            "handover",
            "hazard_ref",
            "forwarded_to",
            "forwarded_on",
            "outcome",
            "verified_at",
            "verification_note",
            "transitions",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def _reporter(self, tip: Tip) -> dict[str, str]:
        cache = self.context.setdefault("_reporters", {})
        if tip.pk not in cache:
            request = self.context.get("request")
            if self.context.get("reveal") and request is not None:
                cache[tip.pk] = disclosure.reporter_for(tip, request.user)
            else:
                cache[tip.pk] = disclosure.masked_reporter(tip)
        return cache[tip.pk]

    def get_reporter_name(self, tip: Tip) -> str:
        return self._reporter(tip)["reporter_name"]

    def get_reporter_phone(self, tip: Tip) -> str:
        return self._reporter(tip)["reporter_phone"]


class HotlineTipSerializer(ScopedRelatedMixin, serializers.Serializer):
    """A tip taken on the reporting phone (the caller's name and phone optional, as on the public page)."""

    scoped_fields = ("unit",)

    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=TipCategory.objects.filter(is_active=True),
        error_messages={"required": "请选择举报类别。", **_not_found("举报类别")},
    )
    description = serializers.CharField(max_length=2000, error_messages={"required": "请描述隐患情况。"})
    unit = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Unit.objects.filter(kind__in=services.PUBLIC_UNIT_KINDS),
        required=False,
        allow_null=True,
        default=None,
        help_text="小区或楼栋编码；不填时须填写详细地址",
        error_messages=_not_found("小区或楼栋"),
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    contact_consent = serializers.BooleanField(required=False, default=False)
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="最多 4 张照片（multipart；按内容检查、重新编码、去除 EXIF 和位置信息）",
    )

    def submission(self) -> services.Submission:
        data = self.validated_data
        return services.Submission(
            category=data["category"],
            description=data["description"],
            unit=data["unit"],
            address=data["address"],
            name=data["name"],
            phone=data["phone"],
            contact_consent=data["contact_consent"],
        )


class AcceptSerializer(ScopedRelatedMixin, serializers.Serializer):
    """Accept: the tip becomes a hazard for the responsible unit (default: the tip's) and department."""

    scoped_fields = ("unit",)

    unit = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        error_messages=_not_found("单位"),
    )
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        error_messages=_not_found("部门"),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ForwardSerializer(AcceptSerializer):
    """Forward to the district department for verification: the receiving body and the date."""

    forwarded_to = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    forwarded_on = serializers.DateField(required=False, allow_null=True, default=None)


class MergeSerializer(ScopedRelatedMixin, serializers.Serializer):
    scoped_fields = ("into",)
    into = serializers.PrimaryKeyRelatedField(
        queryset=Tip.objects.all(),
        help_text="更早的同一隐患举报的编号",
        error_messages={"required": "请选择要合并到的举报。", **_not_found("举报")},
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="举报人可见")


class VerifySerializer(serializers.Serializer):
    outcome = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="true（属实）、partly（部分属实）、false（不属实）",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ProposeRewardSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=RewardTier.choices, required=False, default=RewardTier.REPORTED)
    is_major = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RewardSerializer(serializers.ModelSerializer):
    """A reward. The payee is the reporter of the rewarded tip (`tip`): masked unless `reveal`."""

    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.CharField(read_only=True, help_text="proposed, approved, paid, declined")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    tip_tracking_code = serializers.CharField(source="tip.tracking_code", read_only=True)
    payee_name = serializers.SerializerMethodField()
    payee_phone = serializers.SerializerMethodField()

    class Meta:
        model = Reward
        fields = [
            "id",
            "hazard_tip",
            "tip",
            "tip_tracking_code",
            "unit",
            "tier",
            "is_major",
            "amount",
            "status",
            "status_display",
            "payee_name",
            "payee_phone",
            "decided_at",
            "decision_note",
            "paid_on",
            "payment_method",
            "payment_ref",
            "payee_confirmed",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def _payee(self, reward: Reward) -> dict[str, str]:
        cache = self.context.setdefault("_payees", {})
        if reward.pk not in cache:
            request = self.context.get("request")
            if self.context.get("reveal") and request is not None:
                cache[reward.pk] = disclosure.reporter_for(reward.tip, request.user)
            else:
                cache[reward.pk] = disclosure.masked_reporter(reward.tip)
        return cache[reward.pk]

    def get_payee_name(self, reward: Reward) -> str:
        return self._payee(reward)["reporter_name"]

    def get_payee_phone(self, reward: Reward) -> str:
        return self._payee(reward)["reporter_phone"]


class ApproveRewardSerializer(ScopedRelatedMixin, serializers.Serializer):
    """The office approves, perhaps with another tier, amount or recipient (a new recipient needs a note)."""

    scoped_fields = ("recipient",)

    tier = serializers.ChoiceField(choices=RewardTier.choices, required=False, allow_null=True, default=None)
    is_major = serializers.BooleanField(required=False, allow_null=True, default=None)
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, default=None
    )
    recipient = serializers.PrimaryKeyRelatedField(
        queryset=Tip.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="获奖举报（该隐患的举报之一）的编号",
        error_messages=_not_found("举报"),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DeclineRewardSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PaymentSerializer(serializers.Serializer):
    paid_on = serializers.DateField(
        error_messages={"required": "请填写发放日期。", "invalid": "日期格式应为 YYYY-MM-DD。"}
    )
    payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices, error_messages={"required": "请选择发放方式。"}
    )
    payee_confirmed = serializers.BooleanField(required=False, default=False)
    payment_ref = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class LedgerMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="该月第一天")
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class LedgerTotalSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class PayoutLedgerSerializer(serializers.Serializer):
    months = LedgerMonthSerializer(many=True)
    totals = LedgerTotalSerializer()
    pending = LedgerTotalSerializer()
