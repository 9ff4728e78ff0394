# Every target installs what it needs first: Debian packages (scripts/install-system-deps.sh), then .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SYSTEM_STAMP := .system-deps-checked

.PHONY: demo check test lint bundle package bench system-deps venv dictionaries clean

$(SYSTEM_STAMP): scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	@touch $@

system-deps: $(SYSTEM_STAMP)

$(STAMP): pyproject.toml | $(SYSTEM_STAMP)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# tokenservice/, rcsandbox/ and devstack/ are not in the wheel: the venv finds them in this tree
	$(BIN)/python -c 'import site, pathlib; pathlib.Path(site.getsitepackages()[0], "rocketchat_launcher_source_tree.pth").write_text(str(pathlib.Path.cwd()) + "\n")'
	@touch $@

venv: $(STAMP)

# Spell-check dictionaries for the window (Chromium's .bdic, converted from Debian's Hunspell ones).
dictionaries: | $(SYSTEM_STAMP)
	bash scripts/build-dictionaries.sh

# On a desktop: the live window. With no display: a private one, signed in unattended, with a screenshot.
demo: $(STAMP) dictionaries
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
	  $(BIN)/rocketchat-launcher demo; \
	else \
	  bash scripts/with-desktop-session.sh $(BIN)/rocketchat-launcher demo --unattended --screenshot "$(CURDIR)/build/demo/signed-in.png"; \
	fi

# The fast tier (unmarked tests: in process, no server, no window, no subprocess); the default while developing.
FAST_TIER := not window and not real and not package

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "$(FAST_TIER)"

# Every tier: fast, real (servers, keyring, LDAP, Redis, subprocesses), window (Xvfb) and package (bundle, .deb).
# All but the package tier run in TEST_WORKERS processes (pytest-xdist), each with its own desktop session: the
# window tests mostly wait on the page and the servers, not on the CPU. The package tier builds and installs the
# bundle once, so it runs alone, after them.
TEST_WORKERS ?= 3

test: $(STAMP) dictionaries
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not package" -n $(TEST_WORKERS)
	$(BIN)/python -m pytest -m package

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bundle: $(STAMP) dictionaries
	ONEFILE=$(ONEFILE) BUNDLE_LOCALES=$(BUNDLE_LOCALES) BUNDLE_SELF_CONTAINED=$(BUNDLE_SELF_CONTAINED) $(BIN)/pyinstaller --noconfirm --distpath build/dist --workpath build/work build/pyinstaller.spec

# The .deb of the one-folder bundle (build/make_deb.py): build/dist/rocketchat-launcher_<version>_<arch>.deb.
# DEB_COMPRESSION=gzip (or none) builds faster; the default xz gives the smallest file.
package: ONEFILE =
package: bundle
	$(BIN)/python build/make_deb.py build/dist/rocketchat-launcher build/dist --compression $(or $(DEB_COMPRESSION),xz)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build/dist build/dist-onefile build/work $(SYSTEM_STAMP)
