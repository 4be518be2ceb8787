"""Role checks: a role that may not do something gets a top-level `FORBIDDEN` error."""

from typing import Any

from strawberry.permission import BasePermission

from domain.access import Role
from schema.context import Info


class _RoleAtLeast(BasePermission):
    role: Role

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.role.allows(self.role)


class CanRead(_RoleAtLeast):
    role = Role.VIEWER
    message = "authentication required"
    error_extensions = {"code": "UNAUTHENTICATED"}


class CanEdit(_RoleAtLeast):
    role = Role.EDITOR
    message = "this needs the editor role"
    error_extensions = {"code": "FORBIDDEN"}


class IsAdmin(_RoleAtLeast):
    role = Role.ADMIN
    message = "this needs the admin role"
    error_extensions = {"code": "FORBIDDEN"}
