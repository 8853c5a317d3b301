#!/usr/bin/env bash
# Two versions of the generator side by side on the same site, alternating: cold builds, then
# builds after one product's description is edited; the medians of each.
#
#   benchmarks/ab.sh OLD-REV NEW-REV [PRODUCTS] [RUNS]       (defaults: 2000 products, 3 runs)
#
# Each revision is checked out into a worktree under $TMPDIR and run with this checkout's .venv
# (`make test` sets it up); the site is ../shared/bench's generator's.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 products=${3:-2000} runs=${4:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/ocop-ab.XXXXXX")
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1; git worktree remove --force "$work/new" >/dev/null 2>&1; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/old" "$old"
git worktree add -q --detach "$work/new" "$new"
python3 ../shared/bench/gen_spec_site.py "$products" "$work/site" >/dev/null
python=$PWD/.venv/bin/python
build() {       # version, output folder: the build's wall time in seconds
  (cd "$work/$1" && /usr/bin/time -f "%e" "$python" -m generator build --site "$work/site" --output "$2" \
     --today 2026-11-28 --quiet 2>&1 >/dev/null | tail -1)
}
declare -A cold edit
for i in $(seq "$runs"); do
  for v in old new; do
    rm -rf "$work/out-$v"         # the output and its cache beside it
    mkdir -p "$work/out-$v"
    cold[$v]+="$(build $v "$work/out-$v/site") "
  done
done
for i in $(seq "$runs"); do
  for v in old new; do
    file=$(ls "$work"/site/products/*.yaml | sed -n "$((i * 7))p")
    sed -i "0,/## Giới thiệu/s//## Giới thiệu $v$i/" "$file"
    edit[$v]+="$(build $v "$work/out-$v/site") "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for v in old new; do
  echo "$v ($( [ $v = old ] && echo "$old" || echo "$new")): cold ${cold[$v]}→ median $(echo "${cold[$v]}" | median) s;" \
       "edit ${edit[$v]}→ median $(echo "${edit[$v]}" | median) s"
done
