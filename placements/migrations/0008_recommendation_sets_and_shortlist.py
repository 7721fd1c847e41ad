"""Recommendations are sent in sets (one message, one notification, one e-mail per sending),
and an officer keeps a shortlist per request. Every recommendation sent before becomes a set
of its own, with the same id, its sending time and whether it was e-mailed."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ONE_SET_PER_RECOMMENDATION = """
INSERT INTO placements_recommendationset (id, request_id, message, sent_by_id, sent_at, notified_at)
SELECT id, request_id, '', created_by_id, created_at, notified_at FROM placements_recommendation;
UPDATE placements_recommendation SET recommendation_set_id = id;
UPDATE placements_historicalrecommendation SET recommendation_set_id = id;
SELECT setval(
    pg_get_serial_sequence('placements_recommendationset', 'id'),
    COALESCE((SELECT max(id) FROM placements_recommendationset), 0) + 1,
    false
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("placements", "0007_internal_notes"),
        ("providers", "0003_unit_name_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RecommendationSet",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("message", models.TextField(blank=True, verbose_name="message")),
                ("sent_at", models.DateTimeField(auto_now_add=True, verbose_name="sent")),
                ("notified_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("request", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="recommendation_sets", to="placements.placementrequest")),
                ("sent_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "recommendation set",
                "verbose_name_plural": "recommendation sets",
                "ordering": ["sent_at", "id"],
            },
        ),
        migrations.AddField(
            model_name="historicalrecommendation",
            name="recommendation_set",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="placements.recommendationset", verbose_name="recommendation set"),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="recommendation_set",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="recommendations", to="placements.recommendationset", verbose_name="recommendation set"),
        ),
        migrations.RunSQL(ONE_SET_PER_RECOMMENDATION, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="recommendation",
            name="recommendation_set",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="recommendations", to="placements.recommendationset", verbose_name="recommendation set"),
        ),
        migrations.RemoveField(model_name="historicalrecommendation", name="notified_at"),
        migrations.RemoveField(model_name="recommendation", name="notified_at"),
        migrations.CreateModel(
            name="ShortlistEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("added_at", models.DateTimeField(auto_now_add=True)),
                ("added_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("offering", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="providers.unitservice", verbose_name="unit service")),
                ("request", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="shortlist", to="placements.placementrequest")),
            ],
            options={
                "verbose_name": "shortlisted unit",
                "verbose_name_plural": "shortlist",
                "ordering": ["added_at", "id"],
                "constraints": [models.UniqueConstraint(fields=("request", "offering"), name="uniq_shortlist_offering")],
            },
        ),
    ]
