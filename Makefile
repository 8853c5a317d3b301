# `make site` builds the sample site into output/; `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready

.PHONY: site test check clean messages schemas

site: $(READY)
	$(BIN)/ocop build --site . --output output

check: $(READY)
	$(BIN)/ocop check --site .

test: $(READY)
	$(BIN)/python -m pytest -q

$(READY): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@# test tools from npm, when npm is here: the Nu HTML checker and axe-core (tests skip without them)
	-command -v npm >/dev/null && npm install --silent --no-save --no-audit --no-fund --prefix $(VENV)/node vnu-jar@26 axe-core@4
	touch $@

clean:
	rm -rf output $(VENV)

# after editing templates: extract their UI strings and add the new ones to every catalogue
messages: $(READY)
	$(BIN)/python -m generator.commands.catalogs themes/default

# after changing what the validator accepts: rewrite the JSON Schemas editors use
schemas: $(READY)
	$(BIN)/python -m generator.commands.schemas schemas
