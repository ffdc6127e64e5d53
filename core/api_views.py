"""API views that belong to no domain: who am I."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import role_names
from core.types import SignedInApiRequest


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """The signed-in user's username, name and roles (token or session authentication).

    Also the benchmarks' floor: a signed-in request that does the least real work.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer, summary="The signed-in user and their roles")
    def get(self, request: SignedInApiRequest) -> Response:
        user = request.user
        data = {
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "roles": sorted(role_names(user)),
        }
        return Response(MeSerializer(data).data)
