"""A category plan belongs to one municipality.

Plans made before this belonged, in practice, to Göteborg (the unit that runs Spink wrote
them), so existing rows go to the municipality with SCB code 1480, or to the first
municipality when there is no Göteborg. The column is added nullable, filled, then made
required, so the migration also runs on an empty database.
"""

import django.db.models.deletion
from django.db import migrations, models

GOTHENBURG = "1480"


def assign_municipality(apps, schema_editor):
    CategoryPlan = apps.get_model("categories", "CategoryPlan")
    HistoricalCategoryPlan = apps.get_model("categories", "HistoricalCategoryPlan")
    Municipality = apps.get_model("accounts", "Municipality")
    if not CategoryPlan.objects.exists():
        return
    municipality = (
        Municipality.objects.filter(code=GOTHENBURG).first()
        or Municipality.objects.order_by("pk").first()
    )
    if municipality is None:
        # Plans but no municipality at all: the plans can only have been Göteborg's.
        municipality = Municipality.objects.create(code=GOTHENBURG, name="Göteborg")
    CategoryPlan.objects.filter(municipality__isnull=True).update(municipality=municipality)
    # The history tells the same story as the rows it records.
    HistoricalCategoryPlan.objects.filter(municipality__isnull=True).update(
        municipality=municipality
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("categories", "0003_category_plans"),
    ]

    operations = [
        migrations.AddField(
            model_name="categoryplan",
            name="municipality",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="category_plans",
                to="accounts.municipality",
                verbose_name="municipality",
            ),
        ),
        migrations.AddField(
            model_name="historicalcategoryplan",
            name="municipality",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="accounts.municipality",
                verbose_name="municipality",
            ),
        ),
        migrations.RunPython(assign_municipality, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="categoryplan",
            name="municipality",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="category_plans",
                to="accounts.municipality",
                verbose_name="municipality",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="categoryplan",
            name="uniq_category_plan_area_year",
        ),
        migrations.AddConstraint(
            model_name="categoryplan",
            constraint=models.UniqueConstraint(
                fields=("municipality", "area", "year"),
                name="uniq_category_plan_municipality_area_year",
            ),
        ),
    ]
