"""The public tip API (no login, no token): categories, submitting a tip, following it by tracking code.

Nothing here ever returns a reporter's name or phone or anything about another tip. The page's spam traps
are the page's; here the limits per client address and per phone guard submissions (429), and lookups are
counted per address. The default API permission (HasRole), authentication and throttling do not apply:
each view sets its own, explicitly.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ebsafety.core.choices import ChangeSource
from ebsafety.core.context import change_context
from ebsafety.core.models import Unit
from ebsafety.tips import disclosure, ratelimit, services
from ebsafety.tips.choices import TipSource
from ebsafety.tips.models import PHONE_VALIDATOR, Tip, TipCategory
from ebsafety.tips.models.tips import normalise_tracking_code

PUBLIC_LABEL = "公众举报"
# Model field → API field, for the model's own validation messages.
FIELD_NAMES = {"reporter_name": "name", "reporter_phone": "phone", "photos": "non_field_errors"}
STATUS_FIELDS = ("tracking_code", "status", "status_display", "reward_status", "updated")
RATE_LIMITED = {"detail": "提交过于频繁，请稍后再试。"}


def _required(label: str) -> dict[str, str]:
    return {"required": f"请填写{label}。", "blank": f"请填写{label}。", "null": f"请填写{label}。"}


class PublicTipSerializer(serializers.Serializer):
    """The body of POST /api/v1/public/tips/ (every message in Chinese)."""

    category = serializers.CharField(max_length=40, error_messages=_required("举报类别"))
    description = serializers.CharField(
        max_length=2000,
        error_messages={**_required("举报内容"), "max_length": "举报内容不能超过 2000 字。"},
    )
    unit = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)
    address = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        error_messages={"max_length": "地址不能超过 200 字。"},
    )
    name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, error_messages={"max_length": "姓名不能超过 50 字。"}
    )
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    contact_consent = serializers.BooleanField(
        required=False, default=False, error_messages={"invalid": "应为 true 或 false。"}
    )

    def validate_category(self, value: str) -> TipCategory:
        category = TipCategory.objects.filter(code=value.strip(), is_active=True).first()
        if category is None:
            raise serializers.ValidationError("未知的举报类别，请从类别列表中选择。")
        return category

    def validate_unit(self, value: str | None) -> Unit | None:
        if not value:
            return None
        unit = Unit.objects.filter(code=value.strip(), kind__in=services.PUBLIC_UNIT_KINDS).first()
        if unit is None:
            raise serializers.ValidationError("未找到该小区或楼栋编码。")
        return unit

    def validate_phone(self, value: str) -> str:
        value = value.strip().replace(" ", "")
        if value:
            try:
                PHONE_VALIDATOR(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return value


def _errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {FIELD_NAMES.get(k, k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


class PublicAPIView(APIView):
    """No authentication, no role, no default throttle: the public's endpoints guard themselves."""

    authentication_classes: tuple = ()
    permission_classes = (AllowAny,)
    throttle_classes: tuple = ()


class TipCategoryListView(PublicAPIView):
    @extend_schema(
        summary="可举报的隐患类别",
        responses={200: {"type": "array", "items": {"type": "object"}}},
    )
    def get(self, request: Request) -> Response:
        categories = TipCategory.objects.filter(is_active=True).order_by("sort_order", "code")
        return Response([{"code": c.code, "name": c.name} for c in categories])


class TipSubmitView(PublicAPIView):
    @extend_schema(
        summary="提交举报",
        request=PublicTipSerializer,
        responses={
            201: OpenApiResponse(description='{"tracking_code", "status"}'),
            400: OpenApiResponse(description="逐字段的中文错误信息"),
            429: OpenApiResponse(description="同一地址或电话提交过于频繁"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = PublicTipSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        data = serializer.validated_data
        submission = services.Submission(
            category=data["category"],
            description=data["description"],
            unit=data.get("unit"),
            address=data.get("address", ""),
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            contact_consent=data.get("contact_consent", False),
        )
        key = ratelimit.submitter_key(ratelimit.client_address(request))
        try:
            with change_context(
                ChangeSource.API,
                request=request,
                request_id=getattr(request, "request_id", None),
                label=PUBLIC_LABEL,
            ):
                tip = services.submit_tip(submission, source=TipSource.API, address_key=key)
        except services.RateLimited:
            return Response(
                RATE_LIMITED, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": "600"}
            )
        except DjangoValidationError as exc:
            return Response(_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"tracking_code": tip.tracking_code, "status": tip.status}, status=status.HTTP_201_CREATED
        )


class TipStatusView(PublicAPIView):
    @extend_schema(
        summary="按查询码查看举报进度", responses={200: OpenApiResponse(description="进度与奖励状态")}
    )
    def get(self, request: Request, tracking_code: str) -> Response:
        if not ratelimit.lookup_allowed(request):
            return Response(
                {"detail": "查询过于频繁，请稍后再试。"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": "600"},
            )
        code = normalise_tracking_code(tracking_code)
        tip = Tip.objects.filter(Q(tracking_code=code)).first() if len(code) >= 12 else None
        if tip is None:
            return Response({"detail": "未找到该查询码。"}, status=status.HTTP_404_NOT_FOUND)
        public = disclosure.public_status(tip)
        return Response({k: public[k] for k in STATUS_FIELDS})


def public_api_views() -> dict[str, Any]:
    return {
        "categories": TipCategoryListView.as_view(),
        "submit": TipSubmitView.as_view(),
        "status": TipStatusView.as_view(),
    }
