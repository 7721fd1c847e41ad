"""Template libraries of the project as a whole (registered in settings.TEMPLATES' libraries:
``spink`` is not an installed app)."""
