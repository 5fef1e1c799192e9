# 食品快检 LIMS — two commands on a fresh machine:
#   make run    create .venv, install, migrate, load demo data when empty, serve on :5000
#   make test   install the test tools and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := LIMS_AUDIT_KEY_DEV=1 $(BIN)/flask --app wsgi

.PHONY: run test init demo serve translations bench screenshots clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.test-installed: requirements-test.txt $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

init: $(BIN)/.installed
	$(FLASK) lims init

demo: init
	$(FLASK) lims demo --if-empty

run: demo
	@echo ""
	@echo "  食品快检 LIMS  →  http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password demo-2026):"
	@echo "    admin         administrator (the whole deployment)"
	@echo "    wugang        regulator (吴刚), 杭州市: all three districts"
	@echo "    sunwei        regulator (孙伟), 钱塘区    hejun: 萧山区    songtao: 富阳区"
	@echo "    wangli        technician (王丽), 钱塘区    liqiang / chenmin / zhouhua: technicians, 钱塘区"
	@echo "    zhaomin       reviewer (赵敏), 钱塘区      qianjun: reviewer, 钱塘区"
	@echo "    maxiao        technician (马晓), 萧山区    tangning: reviewer, 萧山区"
	@echo "    luyang        technician (陆洋), 富阳区    fangyuan: reviewer, 富阳区"
	@echo "    liujianguo    market manager, 城东综合市场"
	@echo "    huangxiuying  market manager, 下沙综合市场 and 联华超市"
	@echo "    xuhaiyan      market manager, 新农都水产市场    yexiaomei: 萧山城厢农贸市场"
	@echo ""
	LIMS_SESSION_COOKIE_SECURE=0 LIMS_REMEMBER_COOKIE_SECURE=0 LIMS_AUDIT_KEY_DEV=1 \
	  $(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: $(BIN)/.test-installed
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

screenshots: $(BIN)/.test-installed
	LIMS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/browser
	$(BIN)/python tests/reports/make_screenshots.py

translations: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o lims/translations/messages.pot .
	$(BIN)/pybabel update -i lims/translations/messages.pot -d lims/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d lims/translations --statistics

bench: $(BIN)/.test-installed
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/report_bench.py
	$(BIN)/python bench/web_bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache
