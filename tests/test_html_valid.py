"""Valid HTML: the Nu HTML checker (vnu, from npm's vnu-jar, installed by `make test`) finds no
error in the sample site or in the minimal test site."""
import shutil
import subprocess

import pytest

from conftest import ROOT, TODAY, copy_site, ocop

JAVA = shutil.which("java")


VNU = ROOT / ".venv" / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.mark.skipif(JAVA is None or not VNU.is_file(), reason="needs java and vnu.jar (make test installs it with npm)")
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
    result = subprocess.run([JAVA, "-jar", str(VNU), "--errors-only", "--skip-non-html", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stderr == "", result.stderr[:3000]
