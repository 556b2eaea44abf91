# mynawatch: build, demo, install. `make help` lists the targets. GNU make.
#
#   make demo                      build and show the whole thing with virtual cards (scripts/demo.sh)
#   make && sudo make install      system-wide under PREFIX (default /usr/local)
#   make install PREFIX=$HOME/.local   per user, no root
#   make install DESTDIR=/tmp/pkg PREFIX=/usr   staged, for packagers
#   make deb / make rpm            packages in target/packages/ (tools installed on demand)
#   sudo make uninstall            remove exactly what install put there (same PREFIX/DESTDIR)

PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
# systemd --user searches /usr/lib, /usr/local/lib and ~/.local/share (not ~/.local/lib).
ifeq ($(PREFIX),$(HOME)/.local)
SYSTEMDUSERUNITDIR ?= $(DATADIR)/systemd/user
AUTOSTARTDIR ?= $(HOME)/.config/autostart
else
SYSTEMDUSERUNITDIR ?= $(PREFIX)/lib/systemd/user
# Session managers read autostart entries only from $XDG_CONFIG_DIRS/autostart (/etc/xdg/autostart).
AUTOSTARTDIR ?= /etc/xdg/autostart
endif
ICONDIR     ?= $(DATADIR)/icons/hicolor/scalable/status
# mynawatch.desktop: the application the notifications name (hint desktop-entry=mynawatch).
APPDIR      ?= $(DATADIR)/applications
# Earlier versions installed a udev rule that started the service for every user (even those who
# never enabled it); install and uninstall remove it. systemd's own rules start smartcard.target,
# which the unit is wanted by. udev reads only /usr/lib/udev/rules.d and /etc/udev/rules.d.
OBSOLETE    := /usr/lib/udev/rules.d/70-mynawatch.rules /etc/udev/rules.d/70-mynawatch.rules
DBUSSERVICEDIR ?= $(DATADIR)/dbus-1/services
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
# Debian's and Ubuntu's zsh never read /usr/share/zsh/site-functions, only vendor-completions (its
# compiled-in fpath); other distributions' zsh and every /usr/local install read site-functions.
ifeq ($(PREFIX),/usr)
ZSHCOMPDIR  ?= $(DATADIR)/zsh/$(if $(wildcard /etc/debian_version),vendor-completions,site-functions)
else
ZSHCOMPDIR  ?= $(DATADIR)/zsh/site-functions
endif
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d

CARGO       ?= cargo
PROFILE     ?= release
# What `make deb`/`make rpm` build: "dist" (Cargo.toml), fat LTO, one codegen unit, no symbols.
PKG_PROFILE ?= dist
# cargo's "dev" profile builds into target/debug.
BIN         ?= target/$(if $(filter dev,$(PROFILE)),debug,$(PROFILE))/mynawatch
TRAY_BIN    ?= $(dir $(BIN))mynawatch-tray
# The binary that writes the man page and completions (for `cargo install` users: the installed one).
GEN         ?= $(BIN)
DEMO_ARGS   ?=

DBUS_NAME   := io.github.mynawatch.MynaWatch1
SOURCES     := Cargo.toml Cargo.lock $(shell find src -name '*.rs' 2>/dev/null)
TRAY_SOURCES := tray/Cargo.toml $(shell find tray/src -name '*.rs' 2>/dev/null)
# One shape per state (the tray's IconName values).
ICONS       := mynawatch-ok mynawatch-renewal mynawatch-expired mynawatch-cancelled \
               mynawatch-unreadable mynawatch-offline

# Every file `make install` creates, relative to DESTDIR (tests/ship_install.rs checks this list).
INSTALLED_BIN  := $(BINDIR)/mynawatch $(BINDIR)/mynawatch-tray
INSTALLED_DATA := $(SYSTEMDUSERUNITDIR)/mynawatch.service \
                  $(DBUSSERVICEDIR)/$(DBUS_NAME).service \
                  $(MANDIR)/man1/mynawatch.1 \
                  $(MANDIR)/man1/mynawatch-tray.1 \
                  $(BASHCOMPDIR)/mynawatch \
                  $(ZSHCOMPDIR)/_mynawatch \
                  $(FISHCOMPDIR)/mynawatch.fish \
                  $(APPDIR)/mynawatch.desktop \
                  $(AUTOSTARTDIR)/mynawatch-tray.desktop \
                  $(foreach i,$(ICONS),$(ICONDIR)/$(i).svg)

# Packaging tools, installed on demand (crates.io, pinned) into target/tools/.
TOOLS       := $(CURDIR)/target/tools
CARGO_DEB_VERSION          := 3.8.0
CARGO_GENERATE_RPM_VERSION := 0.21.1
# Checks run by scripts/test.sh: cargo-deny (licences, bans, sources, advisories: deny.toml), and a check with
# the oldest Rust the crate declares (Cargo.toml's rust-version), fetched by rustup.
CARGO_DENY_VERSION         := 0.20.2
MSRV        := $(shell sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
PKGROOT     := $(CURDIR)/target/pkgroot
PKGDIR      := target/packages

.PHONY: all build demo test man install install-bin install-data uninstall list-installed help \
	deb rpm packages deny msrv

all: build

build: $(BIN) $(TRAY_BIN)

# One cargo build makes both binaries (the workspace's default members).
$(BIN) $(TRAY_BIN): $(SOURCES) $(TRAY_SOURCES)
	$(CARGO) build --locked --profile $(PROFILE)
	@touch $@

help:
	@sed -n '3,9s/^# \{0,1\}//p' Makefile

## Demo: virtual cards, private bus, real notifications if you have a notification server.
demo:
	scripts/demo.sh $(DEMO_ARGS)

## The test command from README.md.
test:
	./scripts/test.sh

## docs/mynawatch.1 is the generated page, committed for reading; tests/ship_docs.rs checks it is current.
man: $(BIN)
	$(BIN) man > docs/mynawatch.1

install: install-bin install-data

install-bin: $(BIN) $(TRAY_BIN)
	install -Dm755 $(BIN) $(DESTDIR)$(BINDIR)/mynawatch
	install -Dm755 $(TRAY_BIN) $(DESTDIR)$(BINDIR)/mynawatch-tray

# The unit and the activation file name the binary by its installed path.
install-data:
	@test -x "$(GEN)" || { echo "make: no binary at $(GEN): run 'make' first, or pass GEN=/path/to/mynawatch" >&2; exit 1; }
	install -d $(DESTDIR)$(SYSTEMDUSERUNITDIR) $(DESTDIR)$(DBUSSERVICEDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	sed 's|/usr/bin/mynawatch|$(BINDIR)/mynawatch|' systemd/mynawatch.service \
		> $(DESTDIR)$(SYSTEMDUSERUNITDIR)/mynawatch.service
	sed 's|/usr/bin/mynawatch|$(BINDIR)/mynawatch|' data/$(DBUS_NAME).service \
		> $(DESTDIR)$(DBUSSERVICEDIR)/$(DBUS_NAME).service
	$(GEN) man > $(DESTDIR)$(MANDIR)/man1/mynawatch.1
	install -m644 data/mynawatch-tray.1 $(DESTDIR)$(MANDIR)/man1/mynawatch-tray.1
	$(GEN) completions bash > $(DESTDIR)$(BASHCOMPDIR)/mynawatch
	$(GEN) completions zsh > $(DESTDIR)$(ZSHCOMPDIR)/_mynawatch
	$(GEN) completions fish > $(DESTDIR)$(FISHCOMPDIR)/mynawatch.fish
	install -d $(DESTDIR)$(APPDIR) $(DESTDIR)$(AUTOSTARTDIR) $(DESTDIR)$(ICONDIR)
	sed 's|/usr/bin/mynawatch|$(BINDIR)/mynawatch|' data/mynawatch.desktop \
		> $(DESTDIR)$(APPDIR)/mynawatch.desktop
	sed 's|/usr/bin/mynawatch-tray|$(BINDIR)/mynawatch-tray|' data/mynawatch-tray.desktop \
		> $(DESTDIR)$(AUTOSTARTDIR)/mynawatch-tray.desktop
	$(foreach i,$(ICONS),install -m644 data/icons/hicolor/scalable/status/$(i).svg $(DESTDIR)$(ICONDIR)/ &&) true
	chmod 644 $(addprefix $(DESTDIR),$(INSTALLED_DATA))
ifeq ($(DESTDIR),)
	@rm -f $(OBSOLETE) 2>/dev/null || true
	@echo
	@# A theme's icon cache hides icons newer than it: refresh it where one exists.
	@if [ -f $(DATADIR)/icons/hicolor/icon-theme.cache ]; then gtk-update-icon-cache -q $(DATADIR)/icons/hicolor 2>/dev/null || true; fi
	@echo "Installed. Next:  systemctl --user daemon-reload && systemctl --user enable --now mynawatch"
	@echo "(it then starts at every login and when a card reader is plugged in)"
	@echo "The tray starts at the next login (or now: mynawatch-tray &)."
endif

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_BIN) $(INSTALLED_DATA))
ifeq ($(DESTDIR),)
	@rm -f $(OBSOLETE) 2>/dev/null || true
endif

## One installed path per line (for packagers and tests).
list-installed:
	@printf '%s\n' $(INSTALLED_BIN) $(INSTALLED_DATA)

## Packages: one build with the shipping profile, staged by `make install PREFIX=/usr` (so the packages
## hold exactly what it installs, with each distribution's zsh path), then packed. The file lists the
## packages add (copyright, changelog, RPM preset) are in Cargo.toml; scripts/package-test.sh checks them.
packages: deb rpm

deb: $(TOOLS)/.cargo-deb-$(CARGO_DEB_VERSION)
	rm -rf $(PKGROOT)/deb
	$(MAKE) --no-print-directory install DESTDIR=$(PKGROOT)/deb PREFIX=/usr \
		ZSHCOMPDIR=/usr/share/zsh/vendor-completions PROFILE=$(PKG_PROFILE)
	PATH="$(TOOLS)/bin:$$PATH" $(CARGO) deb --no-build --output $(PKGDIR)/

rpm: $(TOOLS)/.cargo-generate-rpm-$(CARGO_GENERATE_RPM_VERSION)
	rm -rf $(PKGROOT)/rpm
	$(MAKE) --no-print-directory install DESTDIR=$(PKGROOT)/rpm PREFIX=/usr \
		ZSHCOMPDIR=/usr/share/zsh/site-functions PROFILE=$(PKG_PROFILE)
	PATH="$(TOOLS)/bin:$$PATH" $(CARGO) generate-rpm --output $(PKGDIR)/

## Supply chain: licences, banned or duplicate crates, registries (deny.toml), and the RustSec
## advisories of every crate in Cargo.lock, offline, from the snapshot in deny/advisory-db/.
deny: $(TOOLS)/.cargo-deny-$(CARGO_DENY_VERSION)
	$(TOOLS)/bin/cargo-deny --locked check licenses bans sources
	scripts/advisories.sh check $(TOOLS)/bin/cargo-deny

## The declared minimum Rust version really builds: `cargo check` of every target with that toolchain.
msrv:
	@command -v rustup >/dev/null || { echo "make msrv: needs rustup to fetch Rust $(MSRV)" >&2; exit 1; }
	rustup toolchain install $(MSRV) --profile minimal --no-self-update
	CARGO_TARGET_DIR=$(CURDIR)/target/msrv $(CARGO) +$(MSRV) check --workspace --all-targets --locked --features mynawatch/sim

# A debug build: cargo-deny only reads Cargo.lock and the registry cache, and compiling it
# unoptimised takes half the time.
$(TOOLS)/.cargo-deny-$(CARGO_DENY_VERSION):
	$(CARGO) install --locked --debug cargo-deny --version $(CARGO_DENY_VERSION) --root $(TOOLS)
	@touch $@

$(TOOLS)/.cargo-deb-$(CARGO_DEB_VERSION):
	$(CARGO) install --locked cargo-deb --version $(CARGO_DEB_VERSION) --root $(TOOLS)
	@touch $@

$(TOOLS)/.cargo-generate-rpm-$(CARGO_GENERATE_RPM_VERSION):
	$(CARGO) install --locked cargo-generate-rpm --version $(CARGO_GENERATE_RPM_VERSION) --root $(TOOLS)
	@touch $@
