from rest_framework import serializers

from categories.models import CategoryArea, OperatingForm, Service, Subcategory
from spink.api import ModelSerializer


class SubcategorySerializer(ModelSerializer):
    class Meta:
        model = Subcategory
        fields = ["id", "code", "name_sv", "name_en"]


class ServiceSerializer(ModelSerializer):
    area = serializers.SlugRelatedField[CategoryArea](slug_field="code", read_only=True)
    operating_forms = serializers.SlugRelatedField[OperatingForm](
        slug_field="code", many=True, read_only=True
    )
    subcategories = SubcategorySerializer(many=True, read_only=True)

    class Meta:
        model = Service
        fields = ["id", "code", "name_sv", "name_en", "area", "operating_forms", "subcategories"]
