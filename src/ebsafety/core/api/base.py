"""Base classes of the API: scoped viewsets and serializers that validate through the model."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from ebsafety.core.api.permissions import METHOD_ACTIONS
from ebsafety.core.choices import Action


class ScopedRelatedMixin:
    """For serializers: the choices of the related fields named in `scoped_fields` narrowed to what the
    caller may see (through `visible_to`, the one scoping entry point); a choice out of scope reads as not
    found."""

    scoped_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is None:
            return
        for name in self.scoped_fields:
            field = self.fields[name]  # type: ignore[attr-defined]
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            if target.queryset is not None:
                target.queryset = target.queryset.visible_to(user)


class ValidatedModelSerializer(serializers.ModelSerializer):
    """Runs the model's full_clean() so the API enforces exactly the rules the pages do (NetBox pattern)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model = self.Meta.model
        m2m = {f.name for f in model._meta.many_to_many}
        plain = {k: v for k, v in attrs.items() if k not in m2m}
        instance = self.instance if self.instance is not None else model()
        # Validate a copy: a refused request must not leave changes on the instance.
        candidate = model(**{f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields})
        candidate._state.adding = instance._state.adding
        for key, value in plain.items():
            setattr(candidate, key, value)
        try:
            candidate.full_clean(validate_unique=True)
        except DjangoValidationError as exc:
            raise ValidationError(serializers.as_serializer_error(exc)) from exc
        return attrs


class ScopedModelViewSet(viewsets.ModelViewSet):
    """Every query narrowed by the user's scope; objects out of scope are 404; saves re-checked for scope."""

    def action_name(self) -> str:
        return METHOD_ACTIONS.get(self.request.method or "GET", Action.VIEW)

    def get_queryset(self) -> Any:
        return super().get_queryset().visible_to(self.request.user, self.action_name())

    def _check_scope_after_save(self, instance: Any, action: str) -> None:
        model = type(instance)
        if not model._default_manager.filter(pk=instance.pk).visible_to(self.request.user, action).exists():
            raise PermissionDenied("保存后的记录超出了您的管辖范围。")

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            instance = serializer.save()
            self._check_scope_after_save(instance, Action.ADD)

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            instance = serializer.save()
            self._check_scope_after_save(instance, Action.CHANGE)

    def perform_destroy(self, instance: Any) -> None:
        from django.db.models import ProtectedError

        try:
            instance.delete()
        except ProtectedError as exc:
            raise ValidationError({"detail": "仍有记录引用该对象，无法删除。"}) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
