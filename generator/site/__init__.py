"""The site as data: load, validate, model, status. Here, the bounds of the site format that the
command line checks before loading anything."""
import re
from datetime import date

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)      # the dates a site's records may give
# a host of labels (letters, digits, inner hyphens) or localhost, a port that can be one, a path of
# plain segments (no %-escapes: every page's address is made from it, and links are compared as written)
BASE_URL_RE = re.compile(r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                         r"[A-Za-z0-9])?(:(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3}))?"
                         r"(/[A-Za-z0-9._~-]+)*/\Z")
