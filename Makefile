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

# VERSION is stamped into the three programs (main.version): the site
# service and its consoles, the client agent and its windows, compare it,
# and smsctl version, the About boxes and the PCM show it. A plain go run or
# go build says "dev".
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -ldflags=-X=main.version=$(VERSION)

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
	$(GO) run $(LDFLAGS) ./cmd/smsadmin

build: deps
	mkdir -p bin
	$(GO) build $(LDFLAGS) -o bin/ ./cmd/smsadmin ./cmd/pcm
	CGO_ENABLED=0 $(GO) build $(LDFLAGS) -o bin/ ./cmd/smsctl

test: deps
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/smsctl
	GOOS=windows CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/smsctl
	# The Windows-only rule checkers and their tests (registry, MSI) compile
	# here, and every package but the two Fyne programs (their GL driver
	# needs cgo) vets for Windows: a test of a Unix-only part says
	# //go:build !windows.
	GOOS=windows CGO_ENABLED=0 $(GO) vet $$($(GO) list ./... | grep -v -e /cmd/pcm$$ -e /cmd/smsadmin$$)
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

# package leaves the desktop packages under dist/ (PACKAGE_DIR=… moves it):
#   dist/linux/   OpenSMS Administrator.tar.xz, OpenSMS Package Command
#                 Manager.tar.xz (each: the program, its .desktop entry, its
#                 icon and a Makefile that installs them), smsctl
#   dist/windows/ OpenSMS Administrator.exe, OpenSMS Package Command
#                 Manager.exe (each with its icon), smsctl.exe
# `fyne package` reads each program's FyneApp.toml (cmd/smsadmin, cmd/pcm)
# and bumps its Build on every run: the file is put back afterwards, so a
# package run leaves the tree as it was. The Windows programs are
# cross-compiled with Debian's mingw-w64, which package-windows installs
# when it is missing. fyne package sets its own CGO_CFLAGS, so its first run
# compiles GLFW again (minutes); later runs reuse the build cache.
PACKAGE_DIR ?= dist
# The fyne tool is installed in bin/ (a host binary: the Windows build's
# GOOS must reach only the go build it runs).
FYNE := $(CURDIR)/bin/fyne
MINGW_CC := x86_64-w64-mingw32-gcc
PACKAGE_APPS := smsadmin pcm

# fyne_package APP OS EXT DEST [ENV…]: one program's package, moved to DEST.
define fyne_package
	cp cmd/$(1)/FyneApp.toml cmd/$(1)/FyneApp.toml.keep
	(cd cmd/$(1) && GOFLAGS=$(LDFLAGS) $(5) $(FYNE) package --os $(2) --release); rc=$$?; \
	  mv cmd/$(1)/FyneApp.toml.keep cmd/$(1)/FyneApp.toml; exit $$rc
	mv cmd/$(1)/*.$(3) "$(4)/"
endef

.PHONY: package package-linux package-windows package-check
package: package-linux package-windows

$(FYNE):
	GOBIN=$(CURDIR)/bin $(GO) install fyne.io/tools/cmd/fyne@v1.7.4

package-linux: deps $(FYNE)
	mkdir -p "$(PACKAGE_DIR)/linux"
	$(call fyne_package,smsadmin,linux,tar.xz,$(PACKAGE_DIR)/linux)
	$(call fyne_package,pcm,linux,tar.xz,$(PACKAGE_DIR)/linux)
	CGO_ENABLED=0 GOOS=linux $(GO) build $(LDFLAGS) -o "$(PACKAGE_DIR)/linux/smsctl" ./cmd/smsctl

WINDOWS_ENV := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$(MINGW_CC)
package-windows: deps $(FYNE)
	@command -v $(MINGW_CC) >/dev/null 2>&1 || $(MAKE) --no-print-directory deps DEB_PACKAGES=gcc-mingw-w64-x86-64
	mkdir -p "$(PACKAGE_DIR)/windows"
	$(call fyne_package,smsadmin,windows,exe,$(PACKAGE_DIR)/windows,$(WINDOWS_ENV))
	$(call fyne_package,pcm,windows,exe,$(PACKAGE_DIR)/windows,$(WINDOWS_ENV))
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build $(LDFLAGS) -o "$(PACKAGE_DIR)/windows/smsctl.exe" ./cmd/smsctl

# package-check is CI's Linux package: the Administrator built with go build
# (the objects `make test` compiled, so seconds), archived by fyne package
# --executable (no second, differently-flagged build), then the archive's
# Makefile installs it into a scratch DESTDIR and the check finds the
# program, its .desktop entry and icon there.
package-check: deps $(FYNE)
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) build -o "$$tmp/smsadmin" ./cmd/smsadmin; \
	cp cmd/smsadmin/FyneApp.toml "$$tmp/FyneApp.toml.keep"; \
	(cd cmd/smsadmin && $(FYNE) package --os linux --executable "$$tmp/smsadmin") || { cp "$$tmp/FyneApp.toml.keep" cmd/smsadmin/FyneApp.toml; exit 1; }; \
	cp "$$tmp/FyneApp.toml.keep" cmd/smsadmin/FyneApp.toml; \
	mv "cmd/smsadmin/OpenSMS Administrator.tar.xz" "$$tmp/"; \
	mkdir "$$tmp/x" "$$tmp/root"; tar -xJf "$$tmp/OpenSMS Administrator.tar.xz" -C "$$tmp/x"; \
	make -s -C "$$tmp/x/smsadmin" install DESTDIR="$$tmp/root" PREFIX=/usr; \
	for f in bin/smsadmin share/applications/org.opensms.admin.desktop share/pixmaps/org.opensms.admin.png; do \
	  test -s "$$tmp/root/usr/$$f" || { echo "package-check: the package installs no usr/$$f" >&2; exit 1; }; \
	done; \
	grep -q '^Name=OpenSMS Administrator$$' "$$tmp/root/usr/share/applications/org.opensms.admin.desktop"; \
	echo "package-check: the Linux package installs smsadmin, its .desktop entry and icon"
