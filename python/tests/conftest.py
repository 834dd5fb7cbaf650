"""The package's own tests run against the installed package (its wheel), like a user's."""

pytest_plugins = ["pytester"]
