from django.db import migrations

# The timeline is evidence: refuse UPDATE and DELETE at the database, whoever asks.
SQL = """
CREATE FUNCTION placements_timeline_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'placement request timeline events cannot be changed or deleted';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER placements_timeline_append_only
BEFORE UPDATE OR DELETE ON placements_timelineevent
FOR EACH ROW EXECUTE FUNCTION placements_timeline_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS placements_timeline_append_only ON placements_timelineevent;
DROP FUNCTION IF EXISTS placements_timeline_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("placements", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
