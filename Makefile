# ModelWard developer commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QT_QM := translations/qt/qtbase_vi.qm

.PHONY: run test lint typecheck pytest bench translations sysdeps demo screenshots clean catalogues reliability

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

sysdeps:
	@bash packaging/linux/ensure-system-deps.sh

translations: $(STAMP)
	@$(BIN)/pybabel --quiet compile -d translations -D modelward
	@if [ -f translations/qt/qtbase_vi.ts ]; then $(BIN)/pyside6-lrelease -silent translations/qt/qtbase_vi.ts -qm $(QT_QM); fi

run: $(STAMP) translations
	@bash packaging/linux/ensure-system-deps.sh gui
	$(BIN)/modelward demo --years 10 --if-missing --open

lint: $(STAMP)
	$(BIN)/ruff check app tests bench tools migrations
	$(BIN)/ruff format --check app tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) sysdeps translations
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# the crash-safety harness with its full count of SIGKILL trials (make test runs a few)
reliability: $(STAMP) sysdeps translations
	MODELWARD_CRASH_TRIALS=240 QT_QPA_PLATFORM=offscreen $(BIN)/pytest tests/reliability -q

# the app's modules are byte-compiled first, as an installed app's are (pip and the installers
# compile them); otherwise every cold start would compile them from source
bench: $(STAMP) sysdeps translations
	$(BIN)/python -m compileall -q app
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

demo: $(STAMP) translations
	$(BIN)/modelward demo --years 10 --if-missing

screenshots: $(STAMP) sysdeps translations
	$(BIN)/modelward demo --years 10 --if-missing
	QT_QPA_PLATFORM=offscreen $(BIN)/modelward screenshots --demo --out screenshots

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache translations/*/LC_MESSAGES/*.mo $(QT_QM)

catalogues: $(STAMP)
	$(BIN)/python tools/update_catalogues.py
