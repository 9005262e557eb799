"""The staff REST API of tips: the tips officer's and the office's work, scoped like the pages.

- `GET /tips/`, `GET /tips/{id}/`: the tips the caller may see (filters as on the list page);
- `POST /tips/`: a tip taken on the reporting phone (the hotline entry), photos as multipart `photos`;
- `POST /tips/{id}/{accept|forward|merge|reject|verify|propose_reward}/`: triage, verification, reward;
- `GET /tip-rewards/`, `GET /tip-rewards/{id}/`, `GET /tip-rewards/ledger/` (monthly totals);
- `POST /tip-rewards/{id}/{approve|decline|pay}/`.

Every action calls `ebsafety.tips.services`, which checks who may do it and records it. A record out of the
caller's scope is 404; a role that may not act is 403; a refused transition is 409 and a bad input 400, each
with the reason in Chinese, and nothing changes. The reporter's name and phone are in full only on a tip's
or a reward's own page (`retrieve`) for a tips officer, and each such view is written to the change log;
everyone else, and every list, gets them masked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ebsafety.core.api.base import ScopedModelViewSet
from ebsafety.core.choices import Action
from ebsafety.tips import filters, services
from ebsafety.tips.api.serializers import (
    AcceptSerializer,
    ApproveRewardSerializer,
    DeclineRewardSerializer,
    ForwardSerializer,
    HotlineTipSerializer,
    MergeSerializer,
    PaymentSerializer,
    PayoutLedgerSerializer,
    ProposeRewardSerializer,
    RejectSerializer,
    RewardSerializer,
    TipSerializer,
    VerifySerializer,
)
from ebsafety.tips.models import Reward, Tip

# Model field → API field, for the services' own validation messages.
FIELD_NAMES = {
    "reporter_name": "name",
    "reporter_phone": "phone",
    "reject_reason": "reason",
    "decision_note": "note",
    "payment_method": "payment_method",
}
REFUSED = OpenApiResponse(description="操作被拒绝：状态不允许（原因见 detail），未做任何修改")
INVALID = OpenApiResponse(description="输入有误：逐字段的中文错误信息，未做任何修改")
FORBIDDEN = OpenApiResponse(description="您的角色无权执行此操作")
NOT_FOUND = OpenApiResponse(description="记录不存在或不在您的管辖范围内")


# ---------------------------------------------------------------------------------------------------------
# Running a service


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    params = serializer_class(data=request.data, context={"request": request})
    params.is_valid(raise_exception=True)
    return params.validated_data


def _run(perform: Callable[[], Any]) -> tuple[Any, Response | None]:
    """Run one service call; a refusal becomes its answer (400 with the fields, 409, 403) and the
    transaction is rolled back, so nothing changes."""
    try:
        with transaction.atomic():
            return perform(), None
    except DjangoPermissionDenied as exc:
        return None, Response(
            {"detail": str(exc) or "您的角色无权执行此操作。"}, status=status.HTTP_403_FORBIDDEN
        )
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            errors = {FIELD_NAMES.get(k, k): v for k, v in exc.message_dict.items()}
            return None, Response(errors, status=status.HTTP_400_BAD_REQUEST)
        return None, Response({"detail": "；".join(exc.messages)}, status=status.HTTP_409_CONFLICT)


def _responses(ok: Any, code: int = 200) -> dict[int, Any]:
    return {code: ok, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED}


# ---------------------------------------------------------------------------------------------------------
# Viewsets


@extend_schema_view(
    list=extend_schema(summary="举报列表（本人管辖范围内；举报人信息均已遮蔽）"),
    retrieve=extend_schema(summary="一条举报（举报受理员可见举报人完整信息，每次查看都会记录）"),
    create=extend_schema(
        summary="登记电话举报",
        request={"application/json": HotlineTipSerializer, "multipart/form-data": HotlineTipSerializer},
        responses=_responses(TipSerializer, 201),
    ),
)
class TipViewSet(ScopedModelViewSet):
    """Tips within the caller's scope, the hotline entry and the triage / verification / reward actions."""

    queryset = Tip.objects.select_related("unit", "category", "department").prefetch_related("transitions")
    serializer_class = TipSerializer
    filterset_class = filters.TipFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "reveal": self.action == "retrieve"}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # the reporter's identity must not stay in caches
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = HotlineTipSerializer(data=request.data, context={"request": request})
        params.is_valid(raise_exception=True)
        photos = request.FILES.getlist("photos")
        tip, refused = _run(
            lambda: services.record_hotline_tip(params.submission(), request.user, photos=photos)
        )
        if refused is not None:
            return refused
        return Response(self._tip_data(tip), status=status.HTTP_201_CREATED)

    # -- actions ---------------------------------------------------------------------------------------
    def _tip(self, request: Request, pk: Any) -> Tip:
        tip = Tip.objects.visible_to(request.user).select_related("unit", "category").filter(pk=pk).first()
        if tip is None:
            raise NotFound("举报不存在或不在您的管辖范围内。")
        return tip

    def _tip_data(self, tip: Tip) -> dict[str, Any]:
        fresh = (
            self.get_queryset().model.objects.select_related("unit", "category", "department").get(pk=tip.pk)
        )
        return TipSerializer(fresh, context={"request": self.request}).data

    def _act(
        self,
        request: Request,
        pk: Any,
        inputs: type[serializers.Serializer],
        perform: Callable[[Tip, dict[str, Any]], Any],
    ) -> Response:
        """Find the tip (404 out of scope), read the inputs (400), run the service (403 / 400 / 409)."""
        tip = self._tip(request, pk)
        data = _input(inputs, request)
        _, refused = _run(lambda: perform(tip, data))
        return refused or Response(self._tip_data(tip))

    @extend_schema(
        summary="受理：转为隐患处置", request=AcceptSerializer, responses=_responses(TipSerializer)
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: Any = None) -> Response:
        return self._act(
            request,
            pk,
            AcceptSerializer,
            lambda tip, data: services.accept(
                tip, request.user, unit=data["unit"], department=data["department"], note=data["note"]
            ),
        )

    @extend_schema(
        summary="受理：移交区级部门核查", request=ForwardSerializer, responses=_responses(TipSerializer)
    )
    @action(detail=True, methods=["post"])
    def forward(self, request: Request, pk: Any = None) -> Response:
        return self._act(
            request,
            pk,
            ForwardSerializer,
            lambda tip, data: services.accept(
                tip,
                request.user,
                forward=True,
                unit=data["unit"],
                department=data["department"],
                forwarded_to=data["forwarded_to"],
                forwarded_on=data["forwarded_on"],
                note=data["note"],
            ),
        )

    @extend_schema(summary="作为重复举报合并", request=MergeSerializer, responses=_responses(TipSerializer))
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: Any = None) -> Response:
        return self._act(
            request,
            pk,
            MergeSerializer,
            lambda tip, data: services.merge_duplicate(tip, data["into"], request.user),
        )

    @extend_schema(
        summary="不予受理（理由举报人可见）", request=RejectSerializer, responses=_responses(TipSerializer)
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        return self._act(
            request,
            pk,
            RejectSerializer,
            lambda tip, data: services.reject(tip, request.user, data["reason"]),
        )

    @extend_schema(summary="登记核查结果", request=VerifySerializer, responses=_responses(TipSerializer))
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: Any = None) -> Response:
        return self._act(
            request,
            pk,
            VerifySerializer,
            lambda tip, data: services.record_verification(tip, request.user, data["outcome"], data["note"]),
        )

    @extend_schema(
        summary="提出奖励（核查属实的隐患，每个隐患一次）",
        request=ProposeRewardSerializer,
        responses=_responses(RewardSerializer, 201),
    )
    @action(detail=True, methods=["post"])
    def propose_reward(self, request: Request, pk: Any = None) -> Response:
        tip = self._tip(request, pk)
        data = _input(ProposeRewardSerializer, request)
        reward, refused = _run(
            lambda: services.propose_reward(
                tip, request.user, tier=data["tier"], is_major=data["is_major"], note=data["note"]
            )
        )
        if refused is not None:
            return refused
        fresh = Reward.objects.select_related("unit", "tip").get(pk=reward.pk)
        return Response(
            RewardSerializer(fresh, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="可能重复的举报（同小区或楼栋、同类别、N 天内）", responses=TipSerializer(many=True)
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def duplicate_candidates(self, request: Request, pk: Any = None) -> Response:
        tip = self._tip(request, pk)
        candidates = [c.pk for c in services.duplicate_candidates(tip)]
        rows = self.get_queryset().filter(pk__in=candidates)
        return Response(TipSerializer(rows.order_by("created"), many=True, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="举报奖励列表（领奖人信息均已遮蔽）"),
    retrieve=extend_schema(summary="一笔举报奖励（举报受理员可见领奖人完整信息，每次查看都会记录）"),
)
class RewardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rewards within the caller's scope (read through the one scoping entry point, `visible_to`), the
    payout ledger, and the office's approval, the decline and the payment."""

    queryset = Reward.objects.select_related("unit", "tip")
    serializer_class = RewardSerializer
    filterset_class = filters.RewardFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().visible_to(self.request.user, Action.VIEW)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "reveal": self.action == "retrieve"}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(summary="奖励发放台账：按月合计", responses=PayoutLedgerSerializer, filters=True)
    @action(detail=False, methods=["get"])
    def ledger(self, request: Request) -> Response:
        ledger = self.filter_queryset(self.get_queryset()).payout_ledger()
        return Response(PayoutLedgerSerializer(ledger).data)

    def _act(
        self,
        request: Request,
        pk: Any,
        inputs: type[serializers.Serializer],
        perform: Callable[[Reward, dict[str, Any]], Any],
    ) -> Response:
        """Find the reward (404 out of scope), read the inputs (400), run the service (403 / 400 / 409)."""
        reward = self.get_queryset().select_related("hazard_tip").filter(pk=pk).first()
        if reward is None:
            raise NotFound("奖励记录不存在或不在您的管辖范围内。")
        data = _input(inputs, request)
        _, refused = _run(lambda: perform(reward, data))
        if refused is not None:
            return refused
        fresh = Reward.objects.select_related("unit", "tip").get(pk=reward.pk)
        return Response(RewardSerializer(fresh, context={"request": request}).data)

    @extend_schema(
        summary="整治办批准奖励", request=ApproveRewardSerializer, responses=_responses(RewardSerializer)
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._act(
            request,
            pk,
            ApproveRewardSerializer,
            lambda reward, data: services.approve_reward(
                reward,
                request.user,
                amount=data["amount"],
                tier=data["tier"],
                is_major=data["is_major"],
                recipient=data["recipient"],
                note=data["note"],
            ),
        )

    @extend_schema(
        summary="整治办决定不予奖励", request=DeclineRewardSerializer, responses=_responses(RewardSerializer)
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: Any = None) -> Response:
        return self._act(
            request,
            pk,
            DeclineRewardSerializer,
            lambda reward, data: services.decline_reward(reward, request.user, data["note"]),
        )

    @extend_schema(summary="登记奖励发放", request=PaymentSerializer, responses=_responses(RewardSerializer))
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: Any = None) -> Response:
        return self._act(
            request,
            pk,
            PaymentSerializer,
            lambda reward, data: services.record_payment(
                reward,
                request.user,
                paid_on=data["paid_on"],
                method=data["payment_method"],
                payee_confirmed=data["payee_confirmed"],
                payment_ref=data["payment_ref"],
            ),
        )
