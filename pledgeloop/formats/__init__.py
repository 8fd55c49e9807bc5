"""Date formats where Django's own for a language are not how its readers write dates
(settings.FORMAT_MODULE_PATH; DESIGN.md §10). Anything not set here is Django's."""
