"""Issue: stamps a consumer can trust. Certification records, GS1 Digital Link pages, and the
register of published verification URLs."""
import hashlib
import json
import re

from conftest import TODAY, ocop

BASE = "https://ocop.example.vn/"


def test_record_json_is_linked_and_carries_a_hash_of_itself(built):
    html = (built / "v/coffee/index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" type="application/json" href="/v/coffee/record.json"' in html
    record = json.loads((built / "v/coffee/record.json").read_text(encoding="utf-8"))
    assert (record["id"], record["status"], record["stars"], record["valid_until"]) == ("coffee", "valid", 3, "2028-09-12")
    assert record["expiring_from"] == "2028-06-15"          # 89 days left: as the page reads the reader's clock
    assert record["batches"] == [{"from": 1, "to": 100, "issued": "2025-10-01"}]
    assert [d["number"] for d in record["decisions"]] == ["1898/QĐ-UBND"]
    claimed = record.pop("hash")
    canonical = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert claimed == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    tea = json.loads((built / "v/tea/record.json").read_text(encoding="utf-8"))
    assert [(d["kind"], d["number"]) for d in tea["decisions"]] == [("recognized", "45/QĐ-UBND"),
                                                                     ("revoked", "1898/QĐ-UBND")]
    assert tea["decisions"][1]["reason"] == {"vi": "Không đạt tiêu chí bắt buộc.", "en": "Failed mandatory criteria."}


def test_a_record_says_until_when_its_status_holds_not_the_build_date(site, tmp_path):
    """A record is made again when what it says changes, not on every build: it says when its
    status runs out instead of the date it was made."""
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "expiring_days: 0\n", encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    record = json.loads((tmp_path / "out/v/coffee/record.json").read_text(encoding="utf-8"))
    assert (record["valid_until"], record["expiring_from"]) == ("2028-09-12", None)        # never reads "expiring"
    assert TODAY not in (tmp_path / "out/v/coffee/record.json").read_text(encoding="utf-8")
    assert TODAY not in (tmp_path / "out/v/coffee/index.html").read_text(encoding="utf-8")


def test_gs1_digital_link_leads_to_the_verification_page(built):
    html = (built / "01/08936000000011/index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{BASE}v/coffee/">' in html
    assert '<meta http-equiv="refresh" content="0; url=/v/coffee/">' in html
    assert 'href="/v/coffee/"' in html
    assert not (built / "01").joinpath("00000000000000").exists()


def test_new_products_are_registered_and_a_published_one_cannot_vanish(site, tmp_path):
    register = site / "products" / "issued.txt"
    assert not register.exists()
    # a clerk's own build (or ocop serve) publishes nothing: only the publishing build registers
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    assert not register.exists()
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY, "--publish").code == 0
    ids = [line for line in register.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert ids == ["banana", "chicken", "coffee", "tea", "tour"]
    (site / "products" / "tour.yaml").rename(site / "products" / "homestay.yaml")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 1
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1
    assert ("products/issued.txt:7:1: error: the verification page v/tour/ was published and may be printed on "
            "stamps, but products/tour.yaml is gone; restore it, or add '- {id: tour, replaced_by: NEW-ID}' "
            "(or a note) to content/retired.yaml") in result.err


def test_a_retired_id_keeps_its_page(site, tmp_path):
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY, "--publish").code == 0
    (site / "products" / "coffee.yaml").rename(site / "products" / "dak-rve-coffee.yaml")
    (site / "products" / "decisions" / "province-2025.yaml").write_text(
        (site / "products" / "decisions" / "province-2025.yaml").read_text(encoding="utf-8")
        .replace("product: coffee", "product: dak-rve-coffee"), encoding="utf-8")
    (site / "products" / "tour.yaml").unlink()
    (site / "content" / "retired.yaml").write_text(
        "- {id: coffee, replaced_by: dak-rve-coffee}\n"
        "- id: tour\n  note: {vi: Tổ du lịch đã giải thể., en: The tourism group was dissolved.}\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", out, "--today", TODAY, "--publish")
    assert result.code == 0, result.err
    old = (out / "v/coffee/index.html").read_text(encoding="utf-8")
    assert 'data-status="valid"' in old and "Cà phê" in old and 'href="/vi/products/dak-rve-coffee/"' in old
    gone = (out / "v/tour/index.html").read_text(encoding="utf-8")
    assert 'data-status="unrated"' in gone and "The tourism group was dissolved." in gone
    record = json.loads((out / "v/coffee/record.json").read_text(encoding="utf-8"))
    assert record["retired"]["replaced_by"] == "dak-rve-coffee" and record["status"] == "valid"
    assert "dak-rve-coffee" in (site / "products" / "issued.txt").read_text(encoding="utf-8")


def test_retired_entries_are_checked(site):
    (site / "content" / "retired.yaml").write_text("- {id: coffee}\n- {id: gone, replaced_by: nowhere}\n- {id: old}\n",
                                                  encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1
    assert "content/retired.yaml:1:8: error: 'coffee' is still a product (products/coffee.yaml)" in result.err
    assert "content/retired.yaml:2:27: error: no product 'nowhere' (products/nowhere.yaml)" in result.err
    assert "content/retired.yaml:3:3: error: say what became of 'old': 'replaced_by: NEW-ID' or a 'note'" in result.err


def test_a_lapsed_certificate_can_be_revoked_and_reads_revoked(site, tmp_path):
    """Real decisions also revoke certificates that have run out: recorded, and the status is revoked."""
    (site / "products/decisions/lapsed.yaml").write_text(
        "number: 14/QĐ-UBND\ndate: 2026-01-05\nissuer: province\n"
        "revoked:\n  - {product: banana, reason: {vi: Ngừng sản xuất., en: Production stopped.}}\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "out/v/banana/record.json").read_text(encoding="utf-8"))
    assert record["status"] == "revoked" and record["decisions"][-1]["number"] == "14/QĐ-UBND"
    html = (tmp_path / "out/v/banana/index.html").read_text(encoding="utf-8")
    assert 'data-status="revoked"' in html and 'data-verdict="stop"' in html
    assert "Valid until" not in html and "Production stopped." in html


def test_the_verdict_as_built_follows_the_certificate(built):
    verdicts = {p: re.search(r'data-verdict="(\w+)"', (built / f"v/{p}/index.html").read_text()).group(1)
                for p in ("coffee", "chicken", "banana", "tea", "tour")}
    assert verdicts == {"coffee": "ok", "chicken": "caution", "banana": "stop", "tea": "stop", "tour": "stop"}
    assert re.search(r'<main id="main" data-verdict="stop">', (built / "404.html").read_text())
