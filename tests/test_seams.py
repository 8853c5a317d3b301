"""Where the code reaches into a library's internals, at the versions constraints.txt pins: each
seam must give what the library's public way gives, so a version that changes under it fails here
(the QR codes' and cmark-gfm's seams are tested in test_build.py)."""
from __future__ import annotations

import gzip
import json

import cbor2
import jinja2
import markupsafe
import pytest

from conftest import ocop
from generator.assets import search
from generator.pages import render
from generator.pages.render import Theme

TEMPLATE = """{% macro card(name, price=0) %}<b>{{ name }}</b>{{ price }}{% endmacro %}
{{ text }} {{ html }} {{ number }} {{ none_ }} {{ items | join(", ") }} {{ card(text) }} {{ card(name=html, price=5) }}
{% for x in items %}{{ loop.index }}:{{ x | upper }} {% endfor %}{{ helper(text, 2) }} {{ text ~ "&" }}
{% autoescape false %}{{ text }}{% endautoescape %} {{ "%s<%s" | format(text, number) }} {{ html | safe }}"""
VALUES = {"text": "Cà phê <Đăk> & \"Rve\" 'x'", "html": markupsafe.Markup("<i>ok</i>"), "number": 3.5,
          "none_": None, "items": ["a<b", "c&d"], "helper": lambda text, n: text * n}


def test_the_themes_jinja_writes_what_stock_jinja_writes(tmp_path):
    """The code generator that escapes without a Markup a value, and the context that calls plain
    functions directly (render.py), against Jinja2's own, on what templates do."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.html").write_text(TEMPLATE, encoding="utf-8")
    ours = Theme(tmp_path).env.get_template("t.html").render(VALUES)
    stock = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path / "templates"), autoescape=True,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               extensions=["jinja2.ext.do"]).get_template("t.html").render(VALUES)
    assert ours == stock and "&lt;Đăk&gt;" in ours and "<i>ok</i>" in ours


@pytest.mark.parametrize("value", ["", "plain", "<a href=\"x\">&'</a>", "Cà phê Đăk Rve", "\u202e\x00", "a" * 5000])
def test_escaping_without_a_markup_is_markupsafes_escaping(value):
    assert render._escaped(value) == str(markupsafe.escape(value))
    assert render._escaped(markupsafe.Markup(value)) == value


def test_a_call_the_template_cannot_make_is_the_themes_error_at_its_line(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.html").write_text("line one\n{{ helper(1, 2, 3) }}\n", encoding="utf-8")
    template = Theme(tmp_path).env.get_template("t.html")

    def helper(a):
        return a

    with pytest.raises(jinja2.TemplateRuntimeError, match=r"a call that cannot be made: helper\(\) takes 1 "):
        template.render(helper=helper)


def test_pagefinds_files_are_read_and_written_as_pagefind_writes_them(site, tmp_path):
    """The search index's files that the build rewrites (search.sort_index: each language's metadata and
    its filters): gzip, a signature, CBOR. A
    Pagefind that wrote them otherwise is told, not misread."""
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out).code == 0
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]
    files = sorted([*(out / "pagefind").glob("pagefind.*.pf_meta"), *(out / "pagefind" / "filter").glob("*.pf_filter")])
    assert len(files) > len(entry["languages"])       # the metadata of each language, and its filters
    for path in files:
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(search.PF_SIGNATURE), path
        value = search._read_pf(path)
        assert value == cbor2.loads(data[len(search.PF_SIGNATURE):])
        name = search._write_pf(tmp_path, "xx", 10, ".test", value)
        assert search._read_pf(tmp_path / f"{name}.test") == value
    foreign = tmp_path / "foreign.pf_meta"
    foreign.write_bytes(gzip.compress(b"pagefind_new" + cbor2.dumps([1])))
    from generator.errors import OcopError
    with pytest.raises(OcopError, match="in a form this version does not know"):
        search._read_pf(foreign)
