from rest_framework import serializers

from spink.accounts.models import OrgUnit, User
from spink.api import ModelSerializer


class MeSerializer(ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "role_display",
            "municipality",
            "administration",
            "org_unit",
            "placement_team",
        ]
        read_only_fields = fields


class OrgUnitSerializer(ModelSerializer):
    administration_name = serializers.CharField(source="administration.name", read_only=True)
    municipality = serializers.IntegerField(source="administration.municipality_id", read_only=True)
    municipality_name = serializers.CharField(
        source="administration.municipality.name", read_only=True
    )
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "name",
            "administration",
            "administration_name",
            "municipality",
            "municipality_name",
            "member_count",
        ]
