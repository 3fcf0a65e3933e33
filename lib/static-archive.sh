#!/bin/sh
# static-archive.sh OUT.a VERSION_SCRIPT OBJECT_OR_ARCHIVE...
#
# libfiie.a as one prelinked object: the library's objects joined with
# `ld -r`, then every global symbol that is not an export of the version
# script made local. A program linked statically then sees exactly the
# fiie_* API, as with the shared library: no internal name (image_*,
# mask_*, detect_*, the private stb copy...) can clash with its own.
set -eu
out=$1
vers=$2
shift 2
tmp=$out.tmp
trap 'rm -f "$tmp.o" "$tmp.syms"' EXIT
# Archives (the SIMD kernels, stb) are taken whole, as the shared library
# links them.
objs=
archives=
for f in "$@"; do
  case $f in
    *.a) archives="$archives $f" ;;
    *) objs="$objs $f" ;;
  esac
done
# shellcheck disable=SC2086
${LD:-ld} -r -o "$tmp.o" $objs --whole-archive $archives --no-whole-archive
# The names listed in the version script's global: sections.
sed -e 's,/\*.*\*/,,g' "$vers" | grep -Eo '^[[:space:]]*fiie_[A-Za-z0-9_]+;' |
  tr -d ' \t;' > "$tmp.syms"
${OBJCOPY:-objcopy} --keep-global-symbols="$tmp.syms" "$tmp.o"
rm -f "$out"
${AR:-ar} rcs "$out" "$tmp.o"
