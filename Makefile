# The two commands from the README. Each builds everything it needs on a fresh machine.
.PHONY: demo test build bench loadbench docs
demo:   ## build, then serve the FastAPI demo app on 127.0.0.1:8000
	bash scripts/dev.sh demo
test:   ## build, then run every test: cargo test, pytest (Redis included), a short fuzz run
	bash scripts/dev.sh test
build:
	bash scripts/dev.sh build
bench:  ## build, then print the benchmark tables (ratios against the peers)
	bash scripts/dev.sh bench
loadbench:  ## build, then load the end-to-end apps with wrk, stock vs webaccel (minutes)
	bash scripts/dev.sh loadbench
docs:   ## build the documentation site into site/ (mkdocs build --strict)
	bash scripts/dev.sh docs
