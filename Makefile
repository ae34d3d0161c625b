# OpenSMS: `make run` starts the Administrator, `make test` runs every check.
# Both first install, on Debian, the system packages the build and the tests
# need, and only those that are missing.

GO ?= go
# Tests that need Samba fail in CI (CI=true) and skip elsewhere.
ifdef CI
export CI
endif

# Fyne's build headers (cgo, OpenGL, X11), Samba for the SMB tests, Xvfb,
# ImageMagick and xdotool to look at real windows, zstd to inspect archives.
DEB_PACKAGES := gcc libgl1-mesa-dev xorg-dev pkg-config samba smbclient xvfb zstd imagemagick xdotool
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: deps run build test

# deps runs apt-get only when a package is missing: as root directly,
# otherwise through sudo.
deps:
	@if ! command -v dpkg >/dev/null 2>&1; then \
	  echo "make deps: no dpkg here; install by hand: $(DEB_PACKAGES)" >&2; exit 0; \
	fi; \
	missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	else echo "make deps: these packages are missing and neither root nor sudo is here to install them:$$missing" >&2; exit 1; fi; \
	echo "make deps: installing$$missing"; \
	$$sudo apt-get update && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

run: deps
	$(GO) run ./cmd/smsadmin

build: deps
	mkdir -p bin
	$(GO) build -o bin/ ./cmd/smsadmin ./cmd/pcm
	CGO_ENABLED=0 $(GO) build -o bin/ ./cmd/smsctl

test: deps
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/smsctl
	GOOS=windows CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/smsctl
	# The Windows-only rule checkers and their tests (registry, MSI) compile here.
	GOOS=windows CGO_ENABLED=0 $(GO) vet ./core/detect ./core/model ./core/pdf
	$(GO) test -count=1 -timeout 20m ./...

# More targets go below this line (bench, …).

# bench measures OpenSMS side by side with tar | zstd and smbclient on a
# Samba it starts itself; BENCH_JSON=FILE also writes the figures as JSON,
# BENCH_RUNS=N changes the 5 alternating runs, BENCH_ONLY=pack,push,... picks rows,
# BENCH_STRICT=1 fails (exit status 1) when a row misses its target,
# BENCH_PROFILE_DIR=DIR writes CPU profiles of the 1 GiB children and the results cycles.
.PHONY: bench
bench: deps
	OPENSMS_BENCH=1 $(GO) test -count=1 -v -timeout 30m -run '^TestSideBySide$$' ./storage/bench/
