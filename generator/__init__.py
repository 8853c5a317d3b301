"""ocop-site: a static site generator for OCOP product catalogues (see ../README.md)."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# the default theme ships inside the installed package; in a checkout it is the repository's themes/
BUNDLED_THEMES = PACKAGE / "themes" if (PACKAGE / "themes").is_dir() else PACKAGE.parent / "themes"
# the GitHub workflows `ocop init` writes into a new site: the installed package's, or the repository's
WORKFLOWS = PACKAGE / "workflows" if (PACKAGE / "workflows").is_dir() else PACKAGE.parent / ".github" / "workflows"
CACHE = ".ocop-cache"        # beside the output folder: photos, QR codes, search index, named by their inputs
# what a build reads of a site folder (site.yml only to say it is not read): the loader, the check
# that nothing changed since the last build, and the refusal to write into the site take it from here
SITE_FILES = ("site.yaml", "site.yml")
SITE_FOLDERS = ("products", "content", "themes")
