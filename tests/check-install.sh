#!/usr/bin/env bash
# check-install.sh SOURCE_DIR WORK_DIR
#
# Installs libfiie into a fresh, non-system prefix (WORK_DIR/prefix) and
# checks what a user of that prefix relies on, with no LD_LIBRARY_PATH,
# FIIE_LIBRARY or source tree in sight:
#   1. the installed fiie runs (rpath) and its demo uses the installed
#      sample photo first;
#   2. the installed Python package loads the library it was installed with
#      (fiie/_config.py), and FIIE_LIBRARY still overrides it;
#   3. `cc -static` against `pkg-config --static fiie` links examples/minimal.c
#      into a static program that protects and restores the sample;
#   4. `pip install bindings/python` works offline (no build isolation, no
#      index) and records the pkg-config libdir.
# Run by .ci/test; takes one extra build.
set -euo pipefail
src=$(cd "${1:?usage: check-install.sh SOURCE_DIR WORK_DIR}" && pwd)
work=${2:?usage: check-install.sh SOURCE_DIR WORK_DIR}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix
fail() { echo "check-install: FAIL: $*" >&2; exit 1; }

meson setup "$work/build" "$src" --prefix="$prefix" -Dtests=false -Dbuildtype=release >/dev/null
meson compile -C "$work/build" -j "${FIIE_JOBS:-2}" >/dev/null
meson install -C "$work/build" --no-rebuild >/dev/null

unset LD_LIBRARY_PATH FIIE_LIBRARY FIIE_SAMPLE_IMAGE PYTHONPATH
libdir=$(dirname "$(find "$prefix" -name 'libfiie.so.1' | head -1)")
[ -n "$libdir" ] || fail "libfiie.so.1 not installed"
export PKG_CONFIG_PATH=$libdir/pkgconfig

# 1. the tool, from another directory than the build
cd "$work"
"$prefix/bin/fiie" --version >/dev/null || fail "installed fiie does not run without LD_LIBRARY_PATH"
out=$("$prefix/bin/fiie" demo --out-dir "$work/demo") || fail "fiie demo failed"
grep -q "Read $prefix/bin/../" <<<"$out" || fail "demo did not use the installed sample: $out"
echo "check-install: fiie runs from $prefix; demo used the installed sample"

# 2. the installed Python package
pkgdir=$(dirname "$(find "$prefix" -path '*/fiie/__init__.py' | head -1)")
[ -f "$pkgdir/_config.py" ] || fail "fiie/_config.py not installed"
got=$(PYTHONPATH=$(dirname "$pkgdir") python3 -c 'import fiie; print(fiie.library_path)')
[ "$got" = "$libdir/libfiie.so.1" ] || fail "installed package loaded $got, not $libdir/libfiie.so.1"
# The real file (libfiie.so.MAJOR.MINOR.0, its name follows the ABI minor).
real=$(find "$libdir" -maxdepth 1 -name 'libfiie.so.1.*.*' | head -1)
[ -n "$real" ] || fail "libfiie.so.1.MINOR.0 not installed"
got=$(FIIE_LIBRARY=$real PYTHONPATH=$(dirname "$pkgdir") \
      python3 -c 'import fiie; print(fiie.library_path)')
[ "$got" = "$real" ] || fail "FIIE_LIBRARY did not override: $got"
echo "check-install: the installed package loads $libdir/libfiie.so.1"

# 3. a static program
[ -f "$libdir/libfiie.a" ] || fail "libfiie.a not installed"
# shellcheck disable=SC2046
cc -static -o "$work/minimal_static" "$src/examples/minimal.c" \
  $(pkg-config --static --cflags --libs fiie) || fail "cc -static against fiie.pc failed"
ldd "$work/minimal_static" >/dev/null 2>&1 && fail "minimal_static is not static"
"$work/minimal_static" "$prefix/share/fiie/sample.png" "$work/static_out.png" >/dev/null ||
  fail "the static program failed"
echo "check-install: cc -static with pkg-config --static fiie works"

# 4. pip, offline: Debian's python3, whose setuptools and wheel come from
# python3-setuptools and python3-wheel (.ci/install-deps)
# (from a copy: setuptools builds inside the source directory)
pip_python=${FIIE_PIP_PYTHON:-/usr/bin/python3}
cp -r "$src/bindings/python" "$work/pysrc"
rm -rf "$work/pysrc/tests"
PIP_ROOT_USER_ACTION=ignore "$pip_python" -m pip install --quiet --no-build-isolation --no-index --no-deps \
  --target "$work/pip" "$work/pysrc" || fail "pip install bindings/python failed"
got=$(cd "$work" && PYTHONPATH=$work/pip python3 -c 'import fiie; print(fiie.library_path)')
[ "$got" = "$libdir/libfiie.so.1" ] || fail "pip-installed package loaded $got"
echo "check-install: pip install bindings/python (offline) loads $libdir/libfiie.so.1"
echo "check-install: all passed"
