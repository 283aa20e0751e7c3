"""The `flask --app wsgi ...` commands, one module per group: users, badges, import (whose
pulls from other backpacks are in `pulls`)."""

from __future__ import annotations

from flask import Flask

from backpack.commands import badges, users


def register(app: Flask) -> None:
    """Add the command groups to the app's CLI."""
    # Imported here: the importers package uses the app's services, so loading it while
    # `backpack` itself is still being imported would be circular.
    from backpack.commands import imports, pulls  # noqa: F401  (pulls adds its commands to `import`)

    app.cli.add_command(users.users)
    app.cli.add_command(badges.badges)
    app.cli.add_command(imports.imports)
