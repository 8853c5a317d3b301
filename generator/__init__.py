"""ocop-site: a static site generator for OCOP product catalogues (see ../README.md)."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# the default theme ships inside the installed package; in a checkout it is the repository's themes/
BUNDLED_THEMES = PACKAGE / "themes" if (PACKAGE / "themes").is_dir() else PACKAGE.parent / "themes"
# the GitHub workflows `ocop init` writes into a new site: the installed package's, or the repository's
WORKFLOWS = PACKAGE / "workflows" if (PACKAGE / "workflows").is_dir() else PACKAGE.parent / ".github" / "workflows"
CACHE = ".ocop-cache"        # beside the output folder: photos, QR codes, search index, named by their inputs
