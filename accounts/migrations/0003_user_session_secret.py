import accounts.models
from django.db import migrations, models


def give_each_user_a_secret(apps, schema_editor):
    # AddField computes a callable default once for every existing row: one secret each instead.
    User = apps.get_model("accounts", "User")
    for user in User.objects.using(schema_editor.connection.alias).only("pk").iterator():
        User.objects.using(schema_editor.connection.alias).filter(pk=user.pk).update(
            session_secret=accounts.models.new_session_secret()
        )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_username_without_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="session_secret",
            field=models.CharField(default=accounts.models.new_session_secret, editable=False, max_length=32),
        ),
        migrations.RunPython(give_each_user_a_secret, migrations.RunPython.noop),
    ]
